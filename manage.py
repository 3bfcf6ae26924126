"""Command line for the ESS conference app: `python manage.py --help`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models import Role
from services.errors import ServiceError, ValidationError
from services.formatting import format_number

# Each command imports what it uses: `--help`, a mistyped argument or `create-user` do not load Alembic,
# pandas or openpyxl (a start costs a second less). Hence the imports inside the functions:
# ruff: noqa: PLC0415
if TYPE_CHECKING:
    from sqlmodel import Session

    from services import editions
    from services.backup import BackupReport


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


def cmd_edition(args: argparse.Namespace) -> None:
    """`edition list | import PACK | export SLUG [FILE] | default SLUG`."""
    from db.engine import get_engine, session_scope
    from services import editions, packs
    from services.bootstrap import prepare_store
    from services.permissions import CONSOLE_ACTOR

    prepare_store(get_engine())
    if args.action == "list":
        with session_scope() as session:
            for e in editions.list_editions(session=session):
                counts = editions.edition_counts(session=session, edition_id=e.id)
                mark = " (par défaut)" if e.is_default else ""
                print(
                    f"{e.slug}{mark} — {e.name}, {e.place_and_date} — {e.status_label} — "
                    f"{format_number(counts['themes'])} thèmes, {format_number(counts['stands'])} stands"
                )
        return
    if args.action == "import":
        if not args.target:
            raise CommandError("indiquez le fichier du pack : manage.py edition import PACK.yaml")
        path = Path(args.target)
        if not path.is_file():
            raise CommandError(f"fichier introuvable : {path}")
        pack = packs.read_pack(path.read_bytes())
        with session_scope(write=True) as session:
            edition, summary = editions.import_pack(session=session, actor=CONSOLE_ACTOR, pack=pack)
        print(f"Édition « {edition.slug} » ({edition.name}, {edition.place_and_date}) : {summary}")
        return
    with session_scope(write=args.action == "default") as session:
        found = editions.find_edition(session=session, slug=args.target or "")
        if found is None:
            raise CommandError(f"aucune édition ne s'appelle « {args.target} » (voir manage.py edition list)")
        if args.action == "default":
            editions.set_default_edition(session=session, actor=CONSOLE_ACTOR, edition_id=found.id)
            print(f"« {found.slug} » est désormais l'édition par défaut.")
            return
        text = packs.dump_pack(editions.export_pack(session=session, edition_id=found.id))
    if args.file:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"Pack de « {found.slug} » écrit dans {args.file}.")
    else:
        sys.stdout.write(text)


def cmd_migrate(args: argparse.Namespace) -> None:
    from db.engine import get_engine
    from services.bootstrap import prepare_store

    report = prepare_store(get_engine())
    print(f"Schéma à jour ; {report.summary()}")


def cmd_embed(args: argparse.Namespace) -> None:
    import time

    from db.engine import get_engine
    from services import semantics

    if not semantics.available():
        raise SystemExit("Le modèle de phrases n'a pas pu être chargé : la ressemblance se fera sur les mots seuls.")
    started = time.perf_counter()
    done = semantics.backfill(get_engine(), limit=args.limit)
    seconds = time.perf_counter() - started
    print(
        f"Vecteurs calculés et enregistrés : {format_number(done)} contribution{'s' if done > 1 else ''} "
        f"en {format_number(seconds, 1)} s."
    )


def cmd_create_user(args: argparse.Namespace) -> None:
    from db.engine import session_scope
    from services import auth
    from services.permissions import CONSOLE_ACTOR

    password = _read_password(args.password_stdin)
    with session_scope(write=True) as session:
        account = auth.create_user(
            session=session,
            username=args.username,
            password=password,
            role=args.role,
            name=args.name or "",
            email=args.email or "",
            actor=CONSOLE_ACTOR,
        )
    print(f"Compte « {account.username} » créé (rôle {account.role}).")


def cmd_reset_password(args: argparse.Namespace) -> None:
    from db.engine import session_scope
    from services import auth
    from services.permissions import CONSOLE_ACTOR

    password = _read_password(args.password_stdin)
    with session_scope(write=True) as session:
        auth.change_password(session=session, username=args.username, new_password=password, actor=CONSOLE_ACTOR)
    print(f"Mot de passe de « {args.username} » changé ; ses sessions ouvertes sont fermées.")


def cmd_ensure_admin(args: argparse.Namespace) -> None:
    from db.engine import session_scope
    from services import auth
    from services.permissions import CONSOLE_ACTOR

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
            actor=CONSOLE_ACTOR,
        )
    print("Premier compte administrateur créé — notez ce mot de passe, il ne sera plus affiché :")
    print(f"  identifiant : admin\n  mot de passe : {password}")


def cmd_backup(args: argparse.Namespace) -> None:
    from core.config import get_settings
    from services.backup import backup_sqlite, sqlite_path_from_url
    from services.pg_backup import backup_postgres, is_postgres

    url = get_settings().database_url
    if is_postgres(url):
        report = backup_postgres(url, Path(args.dest))
    else:
        report = backup_sqlite(sqlite_path_from_url(url), Path(args.dest))
    _note_backup(report)
    print(
        f"Sauvegarde écrite : {report.destination} ({format_number(report.bytes)} octets, "
        f"{format_number(report.contributions)} contributions, intégrité : {report.integrity} ; "
        f"copiée en {format_number(report.copy_seconds, 1)} s, vérifiée en {format_number(report.check_seconds, 1)} s)."
    )


def _note_backup(report: BackupReport) -> None:
    """The backup in the audit trail, where the organisers' operations panel reads its time; a store that cannot
    take the note (disk full) does not undo a backup that is written and checked."""
    from sqlalchemy.exc import OperationalError

    from db.engine import session_scope
    from services.backup import record_backup
    from services.permissions import CONSOLE_ACTOR

    try:
        with session_scope(write=True) as session:
            record_backup(session, actor=CONSOLE_ACTOR, report=report)
    except OperationalError as exc:
        print(f"Attention : sauvegarde non notée dans le journal de la base ({exc.orig}).", file=sys.stderr)


def cmd_restore(args: argparse.Namespace) -> None:
    from core.config import get_settings
    from services.backup import restore_sqlite, sqlite_path_from_url
    from services.pg_backup import is_postgres, restore_postgres

    url = get_settings().database_url
    if is_postgres(url):
        report = restore_postgres(Path(args.backup), url, replace=args.remplacer)
    else:
        report = restore_sqlite(Path(args.backup), sqlite_path_from_url(url), replace=args.remplacer)
    if report.replaced_copy is not None:
        print(f"Base remplacée gardée dans : {report.replaced_copy}")
    counts = ", ".join(f"{table} {format_number(n)}" for table, n in report.counts.items())
    print(f"Base restaurée : {report.target} (intégrité : ok ; {counts}). Relancez l'application.")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from db.engine import session_scope
    from services import demo

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


def _read_file(path: str, what: str) -> bytes:
    from services import questionnaire_import as qi

    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{what} introuvable : {path}")
    if file.stat().st_size > qi.MAX_FILE_BYTES:
        raise CommandError(f"{what} trop gros : {format_number(qi.MAX_FILE_BYTES // 1024 // 1024)} Mo au plus")
    return file.read_bytes()


def _edition(session: Session, slug: str | None) -> editions.EditionInfo:
    """The edition a command names (`--edition SLUG`), else the default one."""
    from services import editions

    found = editions.find_edition(session=session, slug=slug) if slug else editions.default_edition(session=session)
    if found is not None:
        return found
    if not slug:
        raise CommandError("aucune édition n'est configurée : importez d'abord un pack de conférence")
    known = ", ".join(e.slug for e in editions.list_editions(session=session)) or "aucune"
    raise CommandError(f"aucune édition ne s'appelle « {slug} » (éditions : {known})")


def _propose_mapping(args: argparse.Namespace) -> None:
    """Write the proposed mapping of an export for staff to review, and stop: nothing is imported."""
    from db.engine import session_scope
    from services import questionnaire_import as qi
    from services.questionnaires import find_questionnaire

    out = Path(args.propose_mapping)
    if out.exists():
        raise CommandError(f"{out} existe déjà : choisissez un autre nom (une correspondance relue ne s'écrase pas)")
    table = qi.read_table(filename=Path(args.file).name, data=_read_file(args.file, "fichier de réponses"))
    with session_scope() as session:
        edition = _edition(session, args.edition)
        questionnaire = find_questionnaire(session=session, name=args.questionnaire, edition_id=edition.id)
    proposals = qi.propose_mapping(questionnaire, table.headers, rows=table.rows)
    out.write_bytes(
        qi.proposed_mapping_file(questionnaire, filename=table.filename, headers=table.headers, proposals=proposals)
    )
    given = [p for p in proposals.values() if p.target]
    levels = [(level, sum(1 for p in given if p.confidence == level)) for level in (qi.HIGH, qi.MEDIUM, qi.LOW)]
    counts = [f"{format_number(n)} en confiance {level}" for level, n in levels if n]
    unsure = sum(1 for p in proposals.values() if not p.target)
    print(f"Édition : {edition.long_title} ({edition.slug}) · questionnaire « {questionnaire.title} »")
    print(table.describe())
    print(
        f"Correspondance proposée écrite : {out} ({', '.join(counts) or 'aucune colonne reliée'}, "
        f"{format_number(unsure)} colonne(s) ignorée(s) ou sans proposition sûre). Rien n'est importé."
    )
    command = f"manage.py import-answers {args.file} --questionnaire {questionnaire.slug} --mapping {out}"
    print(f"Relisez-la, puis : {command}")


def cmd_import_answers(args: argparse.Namespace) -> None:
    from db.engine import session_scope
    from services import questionnaire_import as qi
    from services.questionnaires import find_questionnaire

    if args.propose_mapping:
        _propose_mapping(args)
        return
    if not args.mapping:
        raise CommandError(
            "indiquez la correspondance des colonnes (--mapping FICHIER) ou demandez-en une (--propose-mapping FICHIER)"
        )
    data = _read_file(args.file, "fichier de réponses")
    columns = qi.read_mapping_file(_read_file(args.mapping, "fichier de correspondance"))
    table = qi.read_table(filename=Path(args.file).name, data=data)
    mapping = qi.apply_mapping(table.headers, columns)
    with session_scope(write=not args.dry_run) as session:
        edition = _edition(session, args.edition)
        questionnaire = find_questionnaire(session=session, name=args.questionnaire, edition_id=edition.id)
        problems = qi.check_mapping(questionnaire, mapping)
        if problems:
            raise CommandError(" ".join(problems))
        if args.dry_run:
            report = qi.analyse_import(
                session=session, questionnaire=questionnaire, table=table, mapping=mapping, edition_id=edition.id
            )
        else:
            report = qi.import_answers(
                session=session,
                questionnaire=questionnaire,
                table=table,
                mapping=mapping,
                created_by=args.by,
                save_as=args.save_mapping,
                edition_id=edition.id,
            )
    print(f"Édition : {edition.long_title} ({edition.slug}) · questionnaire « {questionnaire.title} »")
    print(table.describe())
    missing = qi.missing_columns(table.headers, columns)
    if missing:
        print("Attention : colonnes de la correspondance absentes du fichier : " + " ; ".join(missing))
    print(("Essai à blanc, rien n'est enregistré. " if args.dry_run else "") + report.summary())
    if args.report:
        Path(args.report).write_bytes(qi.report_csv(report))
        print(f"Rapport écrit : {args.report} ({format_number(len(report.problems))} lignes).")
    for kind, heading in ((qi.KIND_REJECTED, "Rejets"), (qi.KIND_NOTE, "Remarques (lignes importées)")):
        listed = [p for p in report.problems if p.kind == kind]
        if listed:
            print(f"{heading} :")
        for p in listed[:20]:
            print(f"  ligne {p.line}, colonne « {p.column} », valeur « {p.value} » : {p.reason}")
        if len(listed) > 20:
            print(f"  … et {format_number(len(listed) - 20)} autres (voir --report).")


def cmd_purge_personal_data(args: argparse.Namespace) -> None:
    # Each edition keeps personal data for its own retention (its pack's `retention_months`); --months overrides it
    # for all, and the app's setting only stands in for an edition that has none.
    from core.config import get_settings
    from db.engine import session_scope
    from services import privacy
    from services.permissions import CONSOLE_ACTOR

    with session_scope(write=True) as session:
        report = privacy.purge_every_edition(
            session=session,
            retention_months=args.months,
            fallback_months=get_settings().personal_data_retention_months,
            dry_run=args.dry_run,
            actor=CONSOLE_ACTOR,
        )
    if not args.dry_run:
        with session_scope() as session:  # committed: the old copies of the pages can leave the database file
            privacy.release_erased_pages(session=session)
    prefix = "Essai à blanc, rien n'est effacé : " if args.dry_run else "Données personnelles effacées : "
    age = f"de plus de {args.months} mois" if args.months is not None else "au-delà de la durée de conservation"
    print(
        f"{prefix}{format_number(report.contributions)} contribution(s), "
        f"{format_number(report.responses)} réponse(s) au questionnaire et "
        f"{format_number(report.devices)} téléphone(s) {age}."
    )


def cmd_open_data(args: argparse.Namespace) -> None:
    """`open-data FICHIER.zip [--edition IDENTIFIANT] [--apercu]`: the public results' open data, as on the page."""
    from datetime import UTC, datetime

    from db.engine import get_engine, session_scope
    from services import editions, open_data, public_results, publication
    from services.bootstrap import prepare_store
    from services.scope import resolve_edition_id

    prepare_store(get_engine())
    with session_scope() as session:
        if args.edition:
            found = editions.find_edition(session=session, slug=args.edition)
            if found is None:
                raise CommandError(f"aucune édition « {args.edition} » (manage.py edition list)")
            edition_id = found.id
        else:
            edition_id = resolve_edition_id(session=session, edition_id=None)
        if not args.apercu and not publication.results_published(session, edition_id=edition_id):
            raise CommandError(
                "les résultats de cette édition ne sont pas publiés (page « Exports ») ; --apercu pour les "
                "produire quand même, sans les diffuser"
            )
        results = public_results.build_public_results(session, edition_id=edition_id)
    data = open_data.open_data_zip(results, now=datetime.now(UTC))
    Path(args.file).write_bytes(data)
    print(f"Données ouvertes écrites : {args.file} ({format_number(len(data))} octets, {open_data.LICENCE}).")


def cmd_health(args: argparse.Namespace) -> None:
    """`health [--timeout S]`: one French line and exit 0 when the store takes a write and gives it back, else 1."""
    from core.config import get_settings
    from services import health

    if args.timeout <= 0:
        raise CommandError("--timeout : un nombre de secondes positif")
    engine = health.probe_engine(get_settings().database_url, timeout_s=args.timeout)
    try:
        report = health.check_store(engine, probe=health.prober_name(), timeout_s=args.timeout)
    finally:
        engine.dispose()
    if report.ok:
        print(report.message)
        return
    print(report.message + (f" (détail : {report.detail})" if report.detail else ""), file=sys.stderr)
    raise SystemExit(1)


def _add_health(sub: Any) -> None:
    p = sub.add_parser(
        "health", help="vérifie la base par une écriture relue (code de sortie 0 si elle répond, 1 sinon)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="SECONDES",
        help="au-delà, la base est déclarée en erreur (verrouillée ou injoignable) ; 3 s par défaut",
    )
    p.set_defaults(func=cmd_health)


def _add_seed_demo(sub: Any) -> None:
    p = sub.add_parser("seed-demo", help="ajoute (ou retire avec --remove) une journée de démonstration")
    p.add_argument("--remove", action="store_true")
    p.set_defaults(func=cmd_seed_demo)


def _add_open_data(sub: Any) -> None:
    p = sub.add_parser("open-data", help="écrit les données ouvertes des résultats publics d'une édition (zip)")
    p.add_argument("file", metavar="FICHIER", help="le fichier zip à écrire")
    p.add_argument("--edition", metavar="IDENTIFIANT", help="l'édition (par défaut : celle par défaut)")
    p.add_argument("--apercu", action="store_true", help="même si les résultats ne sont pas encore publiés")
    p.set_defaults(func=cmd_open_data)


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

    p = sub.add_parser("backup", help="sauvegarde à chaud de la base (SQLite, ou PostgreSQL par pg_dump), vérifiée")
    p.add_argument("dest", help="fichier (ou dossier) de destination")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="remet une sauvegarde vérifiée à la place de la base (application arrêtée)")
    p.add_argument("backup", metavar="SAUVEGARDE", help="fichier écrit par `manage.py backup`")
    p.add_argument(
        "--remplacer",
        action="store_true",
        help="remplace la base existante (une copie horodatée de celle-ci est gardée à côté)",
    )
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser(
        "import-answers", help="importe des réponses au questionnaire exportées d'un autre outil (CSV ou XLSX)"
    )
    p.add_argument("file", metavar="FICHIER", help="export CSV ou XLSX")
    p.add_argument("--questionnaire", required=True, help="identifiant court (slug) ou titre du questionnaire")
    p.add_argument(
        "--edition", metavar="SLUG", help="l'édition dont c'est le questionnaire (par défaut : l'édition par défaut)"
    )
    how = p.add_mutually_exclusive_group()
    how.add_argument("--mapping", metavar="CORRESPONDANCE", help="fichier JSON ou YAML : colonne → question ou champ")
    how.add_argument(
        "--propose-mapping",
        metavar="FICHIER.yaml",
        help="écrit une correspondance proposée (cible, confiance et raison de chaque colonne) à relire, sans importer",
    )
    p.add_argument("--report", metavar="RAPPORT.csv", help="écrit le rapport ligne par ligne (rejets, remarques)")
    p.add_argument("--dry-run", action="store_true", help="vérifie et compte sans rien enregistrer")
    p.add_argument("--save-mapping", metavar="NOM", help="enregistre aussi la correspondance sous ce nom")
    p.add_argument("--by", default="manage.py", help="qui importe (nom de compte, pour l'historique)")
    p.set_defaults(func=cmd_import_answers)

    p = sub.add_parser(
        "purge-personal-data",
        help="efface noms, organisations et courriels au-delà de la durée de conservation (les textes restent)",
    )
    p.add_argument("--months", type=int, help="durée de conservation en mois (par défaut : celle de chaque édition)")
    p.add_argument("--dry-run", action="store_true", help="compte sans rien effacer")
    p.set_defaults(func=cmd_purge_personal_data)

    p = sub.add_parser(
        "edition",
        help="éditions de la conférence : list, import PACK.yaml, export IDENTIFIANT [FICHIER], default IDENTIFIANT",
    )
    p.add_argument("action", choices=("list", "import", "export", "default"))
    p.add_argument("target", nargs="?", help="le fichier du pack (import) ou l'identifiant de l'édition")
    p.add_argument("file", nargs="?", help="export : fichier où écrire le pack (sinon la sortie standard)")
    p.set_defaults(func=cmd_edition)

    p = sub.add_parser(
        "embed",
        help="calcule d'avance les vecteurs de sens des contributions (après un import en nombre, par exemple)",
    )
    p.add_argument("--limit", type=int, default=None, metavar="N", help="au plus N contributions")
    p.set_defaults(func=cmd_embed)

    _add_open_data(sub)
    _add_health(sub)
    _add_seed_demo(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ValidationError as exc:
        from services.packs import PackError  # a ValidationError: looked up only when one is raised

        if isinstance(exc, PackError):
            print("manage.py: pack refusé, rien n'a été enregistré :", file=sys.stderr)
            for problem in exc.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
        print(f"manage.py: erreur : {exc.message}", file=sys.stderr)
        return 1
    except (ServiceError, CommandError) as exc:
        print(f"manage.py: erreur : {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
