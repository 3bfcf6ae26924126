"""Command line for the ESS conference app: `python manage.py --help`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from core.config import get_settings
from db.bootstrap import prepare_store
from db.engine import get_engine, session_scope
from models import Role
from services import auth, demo
from services.backup import backup_sqlite, sqlite_path_from_url
from services.errors import ServiceError, ValidationError
from services.formatting import format_number


class CommandError(Exception):
    """A one-line message for the user; the command exits non-zero."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("aucun mot de passe reçu sur l'entrée standard")
        return line.rstrip("\r\n")
    first = getpass.getpass("Mot de passe : ")
    if first != getpass.getpass("Confirmez : "):
        raise CommandError("les deux saisies diffèrent")
    return first


def cmd_migrate(args: argparse.Namespace) -> None:
    inserted = prepare_store(get_engine())
    added = ", ".join(f"{k} +{v}" for k, v in inserted.items() if v) or "rien de nouveau"
    print(f"Schéma à jour ; données de référence : {added}.")


def cmd_create_user(args: argparse.Namespace) -> None:
    password = _read_password(args.password_stdin)
    with session_scope(write=True) as session:
        account = auth.create_user(
            session=session,
            username=args.username,
            password=password,
            role=args.role,
            name=args.name or "",
            email=args.email or "",
            actor="manage.py",
        )
    print(f"Compte « {account.username} » créé (rôle {account.role}).")


def cmd_reset_password(args: argparse.Namespace) -> None:
    password = _read_password(args.password_stdin)
    with session_scope(write=True) as session:
        auth.change_password(session=session, username=args.username, new_password=password, actor="manage.py")
    print(f"Mot de passe de « {args.username} » changé ; ses sessions ouvertes sont fermées.")


def cmd_ensure_admin(args: argparse.Namespace) -> None:
    with session_scope(write=True) as session:
        if auth.count_admins(session=session):
            return
        password = auth.generate_password()
        auth.create_user(
            session=session,
            username="admin",
            password=password,
            role=Role.ADMIN.value,
            name="Administration",
            actor="manage.py",
        )
    print("Premier compte administrateur créé — notez ce mot de passe, il ne sera plus affiché :")
    print(f"  identifiant : admin\n  mot de passe : {password}")


def cmd_backup(args: argparse.Namespace) -> None:
    source = sqlite_path_from_url(get_settings().database_url)
    report = backup_sqlite(source, Path(args.dest))
    print(
        f"Sauvegarde écrite : {report.destination} ({format_number(report.bytes)} octets, "
        f"{format_number(report.contributions)} contributions, intégrité : {report.integrity})."
    )


def cmd_seed_demo(args: argparse.Namespace) -> None:
    with session_scope(write=True) as session:
        if args.remove:
            removed = demo.remove_demo(session=session)
            print("Données de démonstration supprimées : " + ", ".join(f"{k} {v}" for k, v in removed.items()))
            return
        report = demo.seed_demo(session=session)
    if report.contributions == 0:
        print("Les données de démonstration sont déjà là (retirez-les avec --remove).")
    else:
        print(
            f"Journée de démonstration : {report.participants} participants, "
            f"{report.contributions} contributions, {report.visits} visites de stands, "
            f"{report.responses} réponses au questionnaire, {report.supports} soutiens."
        )


class FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: erreur : {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchParser(prog="manage.py", description="Outils de l'application de la conférence régionale de l'ESS.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=FrenchParser)

    sub.add_parser("migrate", help="met le schéma à jour et charge les données de référence").set_defaults(
        func=cmd_migrate
    )

    p = sub.add_parser("create-user", help="crée un compte de l'équipe")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--password-stdin", action="store_true", help="lit le mot de passe sur l'entrée standard")
    p.add_argument("--name")
    p.add_argument("--email")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("reset-password", help="change le mot de passe d'un compte et ferme ses sessions")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_reset_password)

    sub.add_parser("ensure-admin", help="crée un premier administrateur s'il n'y en a aucun").set_defaults(
        func=cmd_ensure_admin
    )

    p = sub.add_parser("backup", help="sauvegarde à chaud de la base SQLite, vérifiée")
    p.add_argument("dest", help="fichier (ou dossier) de destination")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("seed-demo", help="ajoute (ou retire avec --remove) une journée de démonstration")
    p.add_argument("--remove", action="store_true")
    p.set_defaults(func=cmd_seed_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ValidationError as exc:
        print(f"manage.py: erreur : {exc.message}", file=sys.stderr)
        return 1
    except (ServiceError, CommandError) as exc:
        print(f"manage.py: erreur : {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
