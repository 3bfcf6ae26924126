"""`manage.py import-answers`, run as staff would: a real process on a real SQLite file.

The first journey runs the real process; the other cases go through manage.main() in this process
(tests/conftest.py's manage_in_process): same parser, same command, same store file.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import pytest

from db.engine import build_engine, session_scope
from tests.conftest import Cli, copy_sqlite
from tests.editions import load_second_edition
from tests.fixtures.mapping_exports import EXPORTS
from tests.fixtures.questionnaire_files import FIXTURES
from tests.test_manage import run

EXPORT = str(FIXTURES / "acteurs_windows1252.csv")
MAPPING = str(FIXTURES / "correspondance_windows1252.yaml")


@pytest.fixture
def store(sqlite_template: Path, tmp_path: Path) -> Path:
    """A migrated store (the suite's template, copied): each test runs only the command under test."""
    path = tmp_path / "ess.db"
    copy_sqlite(sqlite_template, path)
    return path


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_import_answers_then_again_imports_only_new_rows(store: Path, tmp_path: Path, manage_in_process: Cli) -> None:
    report = tmp_path / "rapport.csv"
    args = ("import-answers", EXPORT, "--questionnaire", "questionnaire-acteurs-2016", "--mapping", MAPPING)
    # The command's journey in a real process; the dry run and the second import in this one.
    first = run(store, *args, "--report", str(report), "--save-mapping", "Framaforms")
    assert first.returncode == 0, first.stderr
    assert "6 lignes lues : 4 importées, 0 déjà présentes, 2 rejetées" in first.stdout
    assert "ligne 6, colonne « Département », valeur « Bretagne »" in first.stdout
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Ligne;Type;Colonne;Valeur;Motif" and len(lines) == 4
    assert count(store, "SELECT count(*) FROM questionnaireresponse WHERE origin='import'") == 4
    assert count(store, "SELECT count(*) FROM contribution WHERE source='questionnaire'") == 5
    assert count(store, "SELECT count(*) FROM importmapping WHERE name='Framaforms'") == 1

    # By its title this time, as a dry run, then for real: nothing new either way.
    title = "questionnaire aux acteurs de l'ess"
    cli = manage_in_process
    dry = cli(store, "import-answers", EXPORT, "--questionnaire", title, "--mapping", MAPPING, "--dry-run")
    assert dry.returncode == 0 and "Essai à blanc" in dry.stdout and "0 à importer, 4 déjà présentes" in dry.stdout
    again = cli(store, *args)
    assert again.returncode == 0 and "0 importées, 4 déjà présentes, 2 rejetées" in again.stdout
    assert count(store, "SELECT count(*) FROM questionnaireresponse WHERE origin='import'") == 4
    assert count(store, "SELECT count(*) FROM importbatch") == 2


def test_a_mapping_downloaded_from_the_page_works_on_the_command_line(
    store: Path, tmp_path: Path, manage_in_process: Cli
) -> None:
    mapping = tmp_path / "correspondance.json"
    columns = {
        "Horodateur": "field:submitted_at",
        "Quelle action la stratégie régionale devrait-elle porter pour "
        "consolider ou créer des emplois dans l'ESS ?": "q:q_emploi_proposition",
        "Colonne absente": "field:email",
    }
    mapping.write_text(json.dumps({"format": "ess-correspondance-import", "version": 1, "columns": columns}))
    result = manage_in_process(
        store, "import-answers", EXPORT, "--questionnaire", "questionnaire-acteurs-2016", "--mapping", str(mapping)
    )
    assert result.returncode == 0, result.stderr
    assert "colonnes de la correspondance absentes du fichier : Colonne absente" in result.stdout
    assert "6 lignes lues : 2 importées, 0 déjà présentes, 4 rejetées" in result.stdout  # 4 rows: no emploi answer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import-answers", "absent.csv", "--questionnaire", "x", "--mapping", MAPPING), "introuvable : absent.csv"),
        (("import-answers", EXPORT, "--questionnaire", "inconnu", "--mapping", MAPPING), "aucun questionnaire"),
        (("import-answers", EXPORT, "--questionnaire", "questionnaire-acteurs-2016", "--mapping", EXPORT), "columns"),
        (("import-answers", EXPORT, "--mapping", MAPPING), "--questionnaire"),
        (("import-answers", EXPORT, "--questionnaire", "questionnaire-acteurs-2016"), "--propose-mapping FICHIER"),
        (("import-answers", str(FIXTURES), "--questionnaire", "x", "--mapping", MAPPING), "introuvable"),
    ],
)
def test_bad_arguments_give_one_french_line_and_a_non_zero_exit(
    store: Path, args: tuple[str, ...], message: str, manage_in_process: Cli
) -> None:
    result = manage_in_process(store, *args)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "erreur" in result.stderr and message in result.stderr
    assert count(store, "SELECT count(*) FROM questionnaireresponse") == 0


def test_an_unknown_departement_code_is_listed_with_its_reason_not_stored_as_out_of_region(
    store: Path, tmp_path: Path, manage_in_process: Cli
) -> None:
    export = tmp_path / "export.csv"
    export.write_bytes(Path(EXPORT).read_bytes().replace(b";Association;72;", b";Association;99;", 1))
    args = ("import-answers", str(export), "--questionnaire", "questionnaire-acteurs-2016", "--mapping", MAPPING)
    done = manage_in_process(store, *args)
    assert done.returncode == 0, done.stderr
    assert "6 lignes lues : 3 importées, 0 déjà présentes, 3 rejetées" in done.stdout
    assert (
        "ligne 2, colonne « Département », valeur « 99 » : ce numéro n'est celui d'aucun département français"
        in done.stdout
    )
    assert count(store, "SELECT count(*) FROM questionnaireresponse WHERE departement = 'HORS'") == 0


def test_the_edition_option_imports_into_that_edition_and_files_the_other_region_out_of_region(
    store: Path, tmp_path: Path, manage_in_process: Cli
) -> None:
    """`--edition SLUG` names the edition whose questionnaire is meant; without it, the default edition (2016).
    A département of the 2016 Région is filed « Hors région » in Centre-Val de Loire, with a remark in French."""
    engine = build_engine(f"sqlite:///{store}")
    with session_scope(engine, write=True) as session:
        load_second_edition(session)
    engine.dispose()
    export = tmp_path / "cvl.csv"
    export.write_text(
        "Structure;Département;Évolution\n"
        "Scop du Berry;18;Stables\n"
        "Asso de Nantes;44;En hausse\n"
        "Réseau d'ailleurs;Hors région;En baisse\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "cvl.json"
    columns = {
        "Structure": "field:organisation",
        "Département": "field:departement",
        "Évolution": "q:q_emploi_evolution",
    }
    mapping.write_text(json.dumps({"format": "ess-correspondance-import", "version": 1, "columns": columns}))
    args = ("import-answers", str(export), "--questionnaire", "questionnaire-acteurs-2022", "--mapping", str(mapping))

    cli = manage_in_process
    default = cli(store, *args)  # the 2016 edition has no such questionnaire
    assert default.returncode != 0 and "aucun questionnaire de cette édition" in default.stderr
    unknown = cli(store, *args, "--edition", "bretagne-2030")
    assert unknown.returncode != 0 and "aucune édition ne s'appelle « bretagne-2030 »" in unknown.stderr
    assert "centre-val-de-loire-2022" in unknown.stderr  # the known ones are listed

    done = cli(store, *args, "--edition", "centre-val-de-loire-2022")
    assert done.returncode == 0, done.stderr
    assert "Centre-Val de Loire" in done.stdout
    assert "3 lignes lues : 3 importées, 0 déjà présentes, 0 rejetées" in done.stdout
    assert (
        "ligne 3, colonne « Département », valeur « 44 » : 44 (Loire-Atlantique, Région Pays de la Loire) n'est pas "
        "un département de la Région Centre-Val de Loire : classé « Hors région »" in done.stdout
    )
    assert (
        count(
            store,
            "SELECT count(*) FROM questionnaireresponse r JOIN questionnaire q ON q.id = r.questionnaire_id "
            "WHERE q.slug = 'questionnaire-acteurs-2022'",
        )
        == 3
    )
    assert count(store, "SELECT count(*) FROM questionnaireresponse WHERE departement = '44'") == 0


def test_propose_mapping_writes_a_reviewable_file_and_imports_nothing(store: Path, tmp_path: Path) -> None:
    """`--propose-mapping FILE`: the proposal as a commented mapping file (target, confidence, reason of each
    column), read back by `--mapping` as it stands; nothing imported."""
    from services import questionnaire_import as qi

    export = str(EXPORTS / "google_forms_acteurs_2016.csv")
    out = tmp_path / "proposee.yaml"
    args = ("import-answers", export, "--questionnaire", "questionnaire-acteurs-2016", "--propose-mapping", str(out))
    done = run(store, *args)
    assert done.returncode == 0, done.stderr
    assert "Correspondance proposée écrite" in done.stdout and "Rien n'est importé." in done.stdout
    assert f"--mapping {out}" in done.stdout
    text = out.read_text(encoding="utf-8")
    date = "  # Répondant · Date de la réponse — confiance élevée : nom habituel de ce champ · valeurs : dates\n"
    assert date + "  Horodateur: field:submitted_at\n" in text
    columns = qi.read_mapping_file(out.read_bytes())
    assert columns["Adresse e-mail"] == "field:email"
    assert columns["Comment ont évolué vos effectifs depuis trois ans ?"] == "q:q_emploi_evolution"
    assert count(store, "SELECT count(*) FROM importbatch") == 0


def test_a_proposed_mapping_never_overwrites_a_file(tmp_path: Path) -> None:
    """The file may be one staff already corrected: refused before anything is read."""
    import manage

    out = tmp_path / "relue.yaml"
    out.write_text("columns: {}\n")
    args = argparse.Namespace(file="x.csv", propose_mapping=str(out), mapping=None, questionnaire="x", edition=None)
    with pytest.raises(manage.CommandError, match="existe déjà"):
        manage.cmd_import_answers(args)
    assert out.read_text() == "columns: {}\n"
