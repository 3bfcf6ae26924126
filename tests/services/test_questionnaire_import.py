"""Importing questionnaire exports: real files in their real encodings, counts that add up, no duplicates."""

from __future__ import annotations

import codecs
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import Answer, Contribution, Edition, ImportBatch, QuestionnaireResponse, Theme
from services import questionnaire_import as qi
from services import questionnaires as qs
from services import scope
from services.errors import NotFoundError, ValidationError
from services.formatting import format_number
from services.questionnaires import QuestionnaireInfo, contribution_key, get_questionnaire
from tests.editions import FIRST_EDITION_ID, load_second_edition
from tests.fixtures import questionnaire_files as crafted
from tests.fixtures.questionnaire_files import FIXTURES, build_merged_header_xlsx


@pytest.fixture
def questionnaire(sqlite_engine: Engine) -> QuestionnaireInfo:
    with session_scope(sqlite_engine) as session:
        return get_questionnaire(session=session)


def read(name: str) -> qi.UploadedTable:
    return qi.read_table(filename=name, data=(FIXTURES / name).read_bytes())


def proposed(questionnaire: QuestionnaireInfo, table: qi.UploadedTable) -> dict[str, str]:
    return {h: p.target for h, p in qi.propose_mapping(questionnaire, table.headers).items()}


def run_import(
    engine: Engine, questionnaire: QuestionnaireInfo, table: qi.UploadedTable, **kw: object
) -> qi.ImportReport:
    mapping = kw.pop("mapping", None) or proposed(questionnaire, table)
    with session_scope(engine, write=True) as session:
        return qi.import_answers(
            session=session,
            questionnaire=questionnaire,
            table=table,
            mapping=mapping,  # type: ignore[arg-type]
            created_by="anne",
            **kw,  # type: ignore[arg-type]
        )


@pytest.fixture
def session(sqlite_engine: Engine) -> Iterator[Session]:
    with session_scope(sqlite_engine) as s:
        yield s


def count(session: Session, model: type, *where: object) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


# --- reading ---------------------------------------------------------------------------------


def test_semicolon_windows_1252_csv_with_accented_headers(questionnaire: QuestionnaireInfo) -> None:
    table = read("acteurs_windows1252.csv")
    assert (table.encoding, table.delimiter, table.file_kind) == ("Windows-1252", ";", "CSV")
    assert table.headers[3] == "Département"
    assert table.headers[4] == "Combien de salariés votre structure emploie-t-elle ?"
    assert [r.line for r in table.rows] == [2, 3, 4, 5, 6, 7]
    assert "100 000 €" in table.rows[5].cells[7]  # 0x80 is the euro sign in Windows-1252, not a Latin-1 control
    mapping = proposed(questionnaire, table)
    assert mapping == {
        "Horodateur": "field:submitted_at",
        "Nom de la structure": "field:organisation",
        "Type de structure": "field:actor_type",
        "Département": "field:departement",
        "Combien de salariés votre structure emploie-t-elle ?": "q:q_structure_taille",
        "Votre structure adhère-t-elle à un réseau ou une fédération de l'ESS ?": "q:q_structure_reseau",
        "De 1 à 5, votre structure se sent-elle associée aux politiques publiques qui la concernent ?": (
            "q:q_institutions_association"
        ),
        table.headers[7]: "q:q_institutions_proposition",
        table.headers[8]: "q:q_emploi_proposition",
        "Remarques": "",
    }


def test_utf8_bom_comma_csv_keeps_multiline_quoted_answers(questionnaire: QuestionnaireInfo) -> None:
    table = read("acteurs_utf8_bom.csv")
    assert (table.encoding, table.delimiter) == ("UTF-8 (avec BOM)", ",")
    assert table.headers[0] == "Horodateur"  # no BOM left in the first header
    first = table.rows[0].cells[5]
    assert first.count("\n") == 2 and 'un "tiers-lieu" ouvert' in first
    # A record spanning lines 2-4: the next one starts on line 5, as a text editor shows it.
    assert [r.line for r in table.rows] == [2, 5, 6, 7]


def test_xlsx_merged_two_row_header_and_empty_row(tmp_path: Path, questionnaire: QuestionnaireInfo) -> None:
    table = qi.read_table(filename="export.xlsx", data=build_merged_header_xlsx(tmp_path / "export.xlsx").read_bytes())
    assert table.file_kind == "XLSX" and table.sheet == "Réponses"
    assert table.headers[:3] == (
        "Horodatage",
        "Organisation",
        "Emploi / Comment les effectifs de votre structure ont-ils évolué au cours des trois dernières années ?",
    )
    assert [r.line for r in table.rows] == [3, 4, 6, 7] and table.blank_lines == 1
    assert table.rows[0].cells[0] == "2016-06-09 09:30:00" and table.rows[0].cells[3] == "4"
    assert set(proposed(questionnaire, table).values()) == {
        "field:submitted_at",
        "field:organisation",
        "q:q_emploi_evolution",
        "q:q_emploi_perennite",
        "q:q_emploi_besoins",
        "q:q_emploi_proposition",
    }


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Organisation;Idée\nCoopérative;Créer\n".encode("latin-1").replace(b"Cr", b"\x81Cr"), "Latin-1 (ISO-8859-1)"),
        (codecs.BOM_UTF16_LE + "Organisation\tIdée\nCoopérative\tCréer\n".encode("utf-16-le"), "UTF-16"),
        ("Organisation,Idée\nCoopérative,Créer\n".encode(), "UTF-8"),
    ],
)
def test_encodings_are_told_apart(data: bytes, encoding: str) -> None:
    table = qi.read_table(filename="export.csv", data=data)
    assert table.encoding == encoding
    assert table.headers == ("Organisation", "Idée")


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("vide.csv", b"", "vide"),
        ("ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xlsx ou en CSV"),
        ("gros.csv", b"a;b\n" * (qi.MAX_FILE_BYTES // 4 + 1), "Mo au plus"),
        ("blanc.csv", b";;;\n\n", "en-tête"),
        ("faux.xlsx", b"PK\x03\x04pas un classeur", "illisible"),
    ],
)
def test_unreadable_files_are_refused_in_french(filename: str, data: bytes, message: str) -> None:
    with pytest.raises(qi.ImportFileError, match=message):
        qi.read_table(filename=filename, data=data)


# --- hostile files: refused in French, and read within bounded memory -----------------------------

ROOT = Path(__file__).resolve().parents[2]
MEMORY_CAP_MB = 300
# Runs one reader in a process whose address space may grow by MEMORY_CAP_MB once the app's modules are loaded:
# a reader that materialises what a file unfolds into dies of MemoryError there instead of taking the machine.
_BOUNDED_READ = f"""
import resource, sys
from services import questionnaire_import as qi

def size_kb():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize"))

cap = (size_kb() + {MEMORY_CAP_MB} * 1024) * 1024
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
resource.setrlimit(resource.RLIMIT_CPU, (300, 300))  # a safety net for the code before the fix, not a threshold
kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
try:
    if kind == "mapping":
        qi.read_mapping_file(data)
        print("READ")
    else:
        table = qi.read_table(filename=path, data=data)
        print("READ", len(table.headers), len(table.rows), repr(table.rows[-1].cells if table.rows else ()))
except qi.ImportFileError as exc:
    print("REFUSED", exc.message)
"""


def read_with_memory_cap(tmp_path: Path, filename: str, data: bytes, kind: str = "table") -> str:
    path = tmp_path / filename
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", _BOUNDED_READ, kind, str(path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def _separators_csv() -> bytes:
    return b"Organisation;Id\xc3\xa9e\n" + b";" * (qi.MAX_FILE_BYTES - 100) + b"\n"


def _many_cells_csv() -> bytes:
    header = ";".join(f"Colonne {n}" for n in range(qi.MAX_COLUMNS)).encode() + b"\n"
    row = b"x" + b";" * (qi.MAX_COLUMNS - 1) + b"\n"
    return header + row * (qi.MAX_CELLS // qi.MAX_COLUMNS + 1)


def _yaml_laughs() -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return ("\n".join(lines) + "\ncolumns:\n  Organisation: *a9\n").encode()


@pytest.mark.slow  # hostile files, each read in its own memory-capped process
@pytest.mark.parametrize(
    ("filename", "build", "message"),
    [
        ("large.xlsx", crafted.far_cells_xlsx, f"Plus de {format_number(qi.MAX_CELLS)} cellules"),
        ("loin.xlsx", crafted.far_row_xlsx, f"Plus de {format_number(qi.MAX_ROWS)} lignes"),
        ("textes.xlsx", crafted.huge_shared_text_xlsx, f"plus de {format_number(qi.MAX_TEXT_CHARS)} caractères"),
        ("rires.xlsx", crafted.billion_laughs_xlsx, "illisible : il contient des déclarations XML"),
        (
            "rires-feuille.xlsx",
            lambda: crafted.billion_laughs_xlsx("xl/worksheets/sheet1.xml"),
            "illisible : il contient des déclarations XML",
        ),
        ("bombe.xlsx", crafted.zip_bomb_xlsx, f"plus de {format_number(qi.MAX_PACKING_RATIO)} fois sa taille"),
        ("vide.csv", crafted.blank_lines_csv, f"Plus de {format_number(qi.MAX_BLANK_LINES)} lignes vides"),
        ("separateurs.csv", _separators_csv, f"plus de {format_number(qi.MAX_SEPARATORS_PER_RECORD)} séparateurs"),
        ("cellules.csv", _many_cells_csv, f"Plus de {format_number(qi.MAX_CELLS)} cellules"),
    ],
)
def test_crafted_uploads_are_refused_in_french_within_bounded_memory(
    tmp_path: Path, filename: str, build: Callable[[], bytes], message: str
) -> None:
    data = build()
    assert len(data) <= qi.MAX_FILE_BYTES  # every one of them passes the upload's size check
    out = read_with_memory_cap(tmp_path, filename, data)
    assert out.startswith("REFUSED ") and message in out, out


@pytest.mark.slow  # a hostile file read in its own memory-capped process
def test_wide_sparse_workbook_is_read_within_bounded_memory(tmp_path: Path) -> None:
    """The 156 KB workbook that took 4 GB: 30 000 one-cell answers and one stray cell in column XFD."""
    data = crafted.wide_sparse_xlsx()
    assert len(data) < 200 * 1024
    out = read_with_memory_cap(tmp_path, "export.xlsx", data)
    # Two columns, every answer read; the stray cell is kept right of the header, so that row is refused.
    assert out == "READ 2 30001 ('', '', 'x')"


@pytest.mark.slow  # a hostile file read in its own memory-capped process
def test_mapping_file_with_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    out = read_with_memory_cap(tmp_path, "correspondance.yaml", _yaml_laughs(), kind="mapping")
    assert out == "REFUSED Dans le fichier de correspondance, chaque cible doit être un texte (ou vide)."


def test_the_workbook_reader_parses_through_defusedxml() -> None:
    """openpyxl switches its XML parser to defusedxml's when that package is installed (openpyxl/xml/functions.py)."""
    from openpyxl.xml import functions

    assert functions.iterparse.__module__.startswith("defusedxml")


# --- import ----------------------------------------------------------------------------------


def test_import_counts_add_up_and_every_rejection_says_where_and_why(
    sqlite_engine: Engine, questionnaire: QuestionnaireInfo
) -> None:
    report = run_import(sqlite_engine, questionnaire, read("acteurs_windows1252.csv"))
    assert (report.rows_read, report.rows_imported, report.rows_duplicate, report.rows_rejected) == (6, 4, 0, 2)
    assert report.adds_up and report.contributions == 5
    rejected = [(p.line, p.column, p.value) for p in report.problems if p.kind == qi.KIND_REJECTED]
    assert rejected == [
        (4, "De 1 à 5, votre structure se sent-elle associée aux politiques publiques qui la concernent ?", "6"),
        (6, "Département", "Bretagne"),
    ]
    assert all(p.reason for p in report.problems)
    note = next(p for p in report.problems if p.kind == qi.KIND_NOTE)
    assert note.line == 5 and note.value == "Non." and "sans devenir une contribution" in note.reason
    assert "6 lignes lues : 4 importées, 0 déjà présentes, 2 rejetées" in report.summary()

    with session_scope(sqlite_engine) as session:
        batch = session.get(ImportBatch, report.batch_id)
        assert batch is not None
        assert (batch.rows_read, batch.rows_imported, batch.rows_duplicate, batch.rows_rejected) == (6, 4, 0, 2)
        responses = session.exec(
            select(QuestionnaireResponse).where(QuestionnaireResponse.import_batch_id == report.batch_id)
        ).all()
        by_org = {r.organisation: r for r in responses}
        assert set(by_org) == {
            "Ressourcerie du Maine",
            "SCOP Les Ateliers du Val",
            "Fédération des centres sociaux",
            "Coopérative d'activité Ouest",
        }
        scop = by_org["SCOP Les Ateliers du Val"]
        assert (scop.actor_type, scop.departement, scop.origin, scop.status) == (
            "cooperative",
            "49",
            "import",
            "submitted",
        )
        assert scop.submitted_at is not None and scop.submitted_at.isoformat() == "2016-06-03T07:00:00+00:00"
        assert by_org["Fédération des centres sociaux"].departement == "85"  # from the postal code 85000

        contributions = session.exec(select(Contribution).order_by(col(Contribution.id))).all()
        assert len(contributions) == 5
        themes = {t.id: t.code for t in session.exec(select(Theme)).all()}
        first = contributions[0]
        assert first.source == "questionnaire" and first.status == "pending" and first.display_mode == "anonymous"
        assert themes[first.theme_id] == "institutions"
        assert first.response_id == by_org["Ressourcerie du Maine"].id and first.question_id is not None
        assert first.idempotency_key == contribution_key(
            questionnaire.id, by_org["Ressourcerie du Maine"].fingerprint or "", "q_institutions_proposition"
        )
        assert len({c.receipt_code for c in contributions}) == 5
        # Closed answers are stored for the statistics, typed.
        scale = session.exec(
            select(Answer.value_number).where(
                Answer.response_id == scop.id,
                Answer.question_id == questionnaire.question("q_institutions_association").id,
            )
        ).one()
        assert scale == 3.0
        assert count(session, Answer, col(Answer.value_choices).is_not(None)) == 0  # no JSON 'null' for text answers


def test_multiple_choices_with_commas_inside_and_bad_email(
    sqlite_engine: Engine, questionnaire: QuestionnaireInfo
) -> None:
    report = run_import(sqlite_engine, questionnaire, read("acteurs_utf8_bom.csv"))
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (4, 3, 1)
    [problem] = [p for p in report.problems if p.kind == qi.KIND_REJECTED]
    assert (problem.line, problem.column, problem.value) == (6, "Adresse e-mail", "pas-une-adresse")
    with session_scope(sqlite_engine) as session:
        choices = session.exec(
            select(Answer.value_choices).where(
                Answer.question_id == questionnaire.question("q_institutions_dispositifs").id
            )
        ).all()
        assert sorted(map(tuple, choices)) == sorted(  # type: ignore[arg-type]
            [
                ("DLA (dispositif local d'accompagnement)", "Portail ESSOR"),
                ("Aucun de ces dispositifs",),
                ("Portail ESSOR", "DASESS"),
            ]
        )
        texts = session.exec(select(Contribution.body)).all()
        assert any(t.count("\n") == 2 for t in texts)


def test_wrong_column_count_lines_are_rejected_with_their_line(
    sqlite_engine: Engine, questionnaire: QuestionnaireInfo
) -> None:
    report = run_import(sqlite_engine, questionnaire, read("colonnes_decalees.csv"))
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (5, 3, 2)
    shape = {p.line: p.reason for p in report.problems if p.kind == qi.KIND_REJECTED}
    assert shape == {
        3: "la ligne a 6 champs au lieu de 4 (séparateur ou guillemet en trop ou en moins ?)",
        5: "la ligne a 3 champs au lieu de 4 (séparateur ou guillemet en trop ou en moins ?)",
    }


def test_xlsx_import_skips_the_empty_row_and_rejects_the_bad_scale(
    tmp_path: Path, sqlite_engine: Engine, questionnaire: QuestionnaireInfo
) -> None:
    table = qi.read_table(filename="export.xlsx", data=build_merged_header_xlsx(tmp_path / "e.xlsx").read_bytes())
    report = run_import(sqlite_engine, questionnaire, table)
    assert (report.rows_read, report.rows_imported, report.rows_rejected, report.blank_lines) == (4, 3, 1, 1)
    assert [(p.line, p.value) for p in report.problems if p.kind == qi.KIND_REJECTED] == [(7, "9")]
    assert report.contributions == 2
    assert "1 ligne(s) vide(s) ignorée(s)" in report.summary()


def test_reimport_of_the_same_file_imports_nothing(sqlite_engine: Engine, questionnaire: QuestionnaireInfo) -> None:
    table = read("acteurs_windows1252.csv")
    run_import(sqlite_engine, questionnaire, table)
    again = run_import(sqlite_engine, questionnaire, table)
    assert (again.rows_read, again.rows_imported, again.rows_duplicate, again.rows_rejected) == (6, 0, 4, 2)
    assert again.adds_up and again.contributions == 0
    duplicates = [p for p in again.problems if p.kind == qi.KIND_DUPLICATE]
    assert [p.line for p in duplicates] == [2, 3, 5, 7] and all("déjà importée" in p.reason for p in duplicates)
    with session_scope(sqlite_engine) as session:
        assert count(session, QuestionnaireResponse, QuestionnaireResponse.origin == "import") == 4
        assert count(session, Contribution) == 5


def test_newer_export_with_the_earlier_rows_imports_only_the_new_ones(
    sqlite_engine: Engine, questionnaire: QuestionnaireInfo
) -> None:
    first = (FIXTURES / "acteurs_windows1252.csv").read_bytes()
    run_import(sqlite_engine, questionnaire, qi.read_table(filename="export-1.csv", data=first))
    # The next export: same rows, the bad ones fixed by hand, one new response, saved as UTF-8 this time.
    newer = first.decode("cp1252").replace(";6;", ";5;").replace(";Bretagne;", ";49;")
    new_row = (
        "20/06/2016 09:00;Les Ecossolies;Association;44;10 à 49 salariés;Oui;4;"
        "Un interlocuteur unique pour l'ESS dans chaque service de l'État.;;\r\n"
    )
    newer += new_row * 2  # sent twice by the respondent: the second is a duplicate of the first
    report = run_import(sqlite_engine, questionnaire, qi.read_table(filename="export-2.csv", data=newer.encode()))
    assert (report.rows_read, report.rows_imported, report.rows_duplicate, report.rows_rejected) == (8, 3, 5, 0)
    assert any(p.reason == "identique à la ligne 8" for p in report.problems)
    with session_scope(sqlite_engine) as session:
        assert count(session, QuestionnaireResponse, QuestionnaireResponse.origin == "import") == 7


def test_response_id_column_recognises_a_response_corrected_in_the_source_tool(
    sqlite_engine: Engine, questionnaire: QuestionnaireInfo
) -> None:
    q = questionnaire.question("q_emploi_proposition").text
    before = f"ID;{q}\n17;Former les dirigeants bénévoles à la fonction employeur.\n".encode()
    after = f"ID;{q}\n17;Former les dirigeants bénévoles à la fonction d'employeur.\n18;Recruter mieux, ensemble.\n"
    run_import(sqlite_engine, questionnaire, qi.read_table(filename="a.csv", data=before))
    report = run_import(sqlite_engine, questionnaire, qi.read_table(filename="b.csv", data=after.encode()))
    assert (report.rows_imported, report.rows_duplicate) == (1, 1)


def test_dry_run_previews_without_writing(session: Session, questionnaire: QuestionnaireInfo) -> None:
    table = read("acteurs_windows1252.csv")
    report = qi.analyse_import(
        session=session, questionnaire=questionnaire, table=table, mapping=proposed(questionnaire, table)
    )
    assert report.dry_run and (report.rows_imported, report.rows_rejected, report.contributions) == (4, 2, 5)
    assert [p.status for p in report.preview] == [
        "À importer",
        "À importer",
        "Rejetée",
        "À importer",
        "Rejetée",
        "À importer",
    ]
    first = report.preview[0].values
    assert first["Date de la réponse"] == "02/06/2016 10:15"
    assert first["Type d'acteur"] == "Association"
    assert first["Q4 q_institutions_association"] == "4"
    assert first["Q3 q_structure_reseau"] == "Oui"
    assert count(session, QuestionnaireResponse, QuestionnaireResponse.origin == "import") == 0
    assert count(session, ImportBatch) == 0


def test_a_mapping_that_sends_two_columns_to_one_question_is_refused(
    session: Session, questionnaire: QuestionnaireInfo
) -> None:
    table = read("acteurs_windows1252.csv")
    mapping = proposed(questionnaire, table) | {"Remarques": "q:q_emploi_proposition"}
    problems = qi.check_mapping(questionnaire, mapping)
    assert len(problems) == 1 and "toutes deux" in problems[0]
    with pytest.raises(ValidationError):
        qi.analyse_import(session=session, questionnaire=questionnaire, table=table, mapping=mapping)
    assert qi.check_mapping(questionnaire, dict.fromkeys(table.headers, "")) == [
        "Aucune colonne n'est reliée à une question : il n'y aurait rien à importer."
    ]


def test_one_column_per_choice_exports(sqlite_engine: Engine, questionnaire: QuestionnaireInfo) -> None:
    q = questionnaire.question("q_communication_publics")
    data = (
        f"Horodatage,{q.text} [Jeunes et étudiants],{q.text} [Élus locaux],{q.text} [Grand public]\n"
        "2016-06-01 10:00:00,Oui,,Oui\n2016-06-02 10:00:00,,X,\n2016-06-03 10:00:00,peut-être,,\n"
    ).encode()
    table = qi.read_table(filename="limesurvey.csv", data=data)
    mapping = proposed(questionnaire, table)
    assert list(mapping.values())[1:] == [
        "opt:q_communication_publics:Jeunes et étudiants",
        "opt:q_communication_publics:Élus locaux",
        "opt:q_communication_publics:Grand public",
    ]
    report = run_import(sqlite_engine, questionnaire, table, mapping=mapping)
    assert (report.rows_imported, report.rows_rejected) == (2, 1)
    with session_scope(sqlite_engine) as session:
        stored = session.exec(select(Answer.value_choices).where(Answer.question_id == q.id)).all()
    # In the questionnaire's order of choices, whatever the order of the columns.
    assert sorted(map(tuple, stored)) == [("Jeunes et étudiants", "Grand public"), ("Élus locaux",)]  # type: ignore[arg-type]


def test_saved_mapping_is_proposed_for_the_next_export(sqlite_engine: Engine, questionnaire: QuestionnaireInfo) -> None:
    table = read("acteurs_windows1252.csv")
    mapping = proposed(questionnaire, table) | {"Remarques": "field:respondent_name"}
    run_import(sqlite_engine, questionnaire, table, mapping=mapping, save_as="Framaforms juin")
    with session_scope(sqlite_engine) as session:
        [saved] = qi.list_mappings(session=session, questionnaire_id=questionnaire.id)
    assert saved.name == "Framaforms juin" and saved.columns["Remarques"] == "field:respondent_name"
    # The next export spells a header differently (case, accents): the saved choice still applies.
    again = qi.propose_mapping(questionnaire, ["REMARQUES", "Departement"], saved.columns)
    assert again["REMARQUES"] == qi.Proposal("field:respondent_name", "correspondance enregistrée")
    assert again["Departement"].target == "field:departement"
    file_mapping = qi.read_mapping_file(qi.mapping_file(questionnaire, saved.columns))
    assert file_mapping == saved.columns
    assert qi.apply_mapping(["remarques"], file_mapping) == {"remarques": "field:respondent_name"}


def test_report_csv_neutralises_formula_like_values(sqlite_engine: Engine, questionnaire: QuestionnaireInfo) -> None:
    q = questionnaire.question("q_emploi_evolution").text
    table = qi.read_table(filename="x.csv", data=f'Organisation;{q}\n=HYPERLINK("x");En hausse folle\n'.encode())
    report = run_import(sqlite_engine, questionnaire, table)
    text = qi.report_csv(report).decode("utf-8-sig")
    assert text.splitlines()[0] == "Ligne;Type;Colonne;Valeur;Motif"
    assert "En hausse folle" in text
    assert "n'est pas l'une des réponses proposées" in text


def test_an_unknown_departement_code_is_rejected_and_said_never_filed_as_out_of_region(store_engine: Engine) -> None:
    """99, 00, 999 are no département: the row is refused with its reason, in the preview and the report;
    « Hors région » written as such is kept, and the Région's own départements too."""
    with session_scope(store_engine) as session:
        questionnaire = get_questionnaire(session=session)
    q = questionnaire.question("q_emploi_evolution").text
    codes = ["99", "00", "999", "Hors région", "44", "49000", "Sarthe"]
    lines = [f"Nom de la structure;Département;{q}"] + [f"Structure {c};{c};Stables" for c in codes]
    table = qi.read_table(filename="export.csv", data="\n".join(lines).encode())
    mapping = proposed(questionnaire, table)
    assert mapping["Département"] == "field:departement"
    why = "ce numéro n'est celui d'aucun département français (numéro ou nom attendu, par exemple 49 ou Maine-et-Loire)"

    with session_scope(store_engine) as session:
        preview = qi.analyse_import(session=session, questionnaire=questionnaire, table=table, mapping=mapping)
    assert [(p.line, p.status, p.reason) for p in preview.preview[:3]] == [
        (line, "Rejetée", f"Département : {why}") for line in (2, 3, 4)
    ]
    assert {p.status for p in preview.preview[3:]} == {"À importer"}

    report = run_import(store_engine, questionnaire, table, mapping=mapping)
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (7, 4, 3)
    assert [(p.line, p.kind, p.column, p.value, p.reason) for p in report.problems] == [
        (2, qi.KIND_REJECTED, "Département", "99", why),
        (3, qi.KIND_REJECTED, "Département", "00", why),
        (4, qi.KIND_REJECTED, "Département", "999", why),
    ]
    with session_scope(store_engine) as session:
        pairs = select(QuestionnaireResponse.organisation, QuestionnaireResponse.departement).where(
            QuestionnaireResponse.import_batch_id == report.batch_id
        )
        stored = dict(session.exec(pairs).all())
    assert stored == {
        "Structure Hors région": "HORS",
        "Structure 44": "44",
        "Structure 49000": "49",
        "Structure Sarthe": "72",
    }


def test_a_departement_of_another_region_is_kept_as_out_of_region_with_a_remark_naming_both(
    store_engine: Engine,
) -> None:
    """75, 2A, 971, the postal code 45000 or « Loiret » are real départements of other Régions: the row is kept
    (a respondent from elsewhere is one) and filed « Hors région », never in silence: a remark names the
    département's Région and the edition's, so a file imported into the wrong edition shows at once."""
    with session_scope(store_engine) as session:
        questionnaire = get_questionnaire(session=session)
    q = questionnaire.question("q_emploi_evolution").text
    codes = ["75", "2A", "971", "45000", "Loiret", "53"]
    lines = [f"Nom de la structure;Département;{q}"] + [f"Structure {c};{c};Stables" for c in codes]
    table = qi.read_table(filename="export.csv", data="\n".join(lines).encode())
    report = run_import(store_engine, questionnaire, table, mapping=proposed(questionnaire, table))
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (6, 6, 0)
    remarks = {p.value: p.reason for p in report.problems if p.kind == qi.KIND_NOTE}
    region = "n'est pas un département de la Région Pays de la Loire : classé « Hors région »"
    assert remarks["75"] == f"75 (Paris, Région Île-de-France) {region}"
    assert remarks["2A"] == f"2A (Corse-du-Sud, Région Corse) {region}"
    assert remarks["971"].startswith("971 (Guadeloupe")
    assert remarks["45000"] == f"45 (Loiret, Région Centre-Val de Loire) {region}"
    assert remarks["Loiret"] == remarks["45000"] and "53" not in remarks
    with session_scope(store_engine) as session:
        stored = dict(
            session.exec(
                select(QuestionnaireResponse.organisation, QuestionnaireResponse.departement).where(
                    QuestionnaireResponse.import_batch_id == report.batch_id
                )
            ).all()
        )
    assert stored == {f"Structure {c}": "HORS" for c in codes[:5]} | {"Structure 53": "53"}


# --- two editions in one store ---------------------------------------------------------------


def test_an_import_into_the_second_edition_stays_there_and_refuses_the_first_region(store_engine: Engine) -> None:
    """Edition B (Centre-Val de Loire) takes its own départements and « Hors région »; the 2016 Région's are
    refused with the reason in French; its open answers become contributions of its own themes; nothing of it
    reaches the 2016 questionnaire, and its ids are unknown to the 2016 edition."""
    with session_scope(store_engine, write=True) as session:
        second = load_second_edition(session)
    with session_scope(store_engine) as session:
        first_q = get_questionnaire(session=session)
        questionnaire = get_questionnaire(session=session, edition_id=second)
        cvl_themes = set(scope.theme_ids(session=session, edition_id=second))
    idea = questionnaire.question("q_financer_proposition").text
    header = f"Nom de la structure;Département;q_emploi_evolution;{idea}"
    rows = ["44", "Loire-Atlantique", "49000", "45", "Loir-et-Cher", "Hors région", "99"]
    body = "Un fonds de garantie régional pour les reprises d'entreprises en coopérative."
    lines = [header] + [f"Structure {d};{d};Stables;{body} ({d})" for d in rows]
    table = qi.read_table(filename="cvl.csv", data="\n".join(lines).encode())
    mapping = proposed(questionnaire, table)
    assert mapping["q_emploi_evolution"] == "q:q_emploi_evolution" and mapping[idea] == "q:q_financer_proposition"

    call: Callable[[], object]  # each loop below tries service calls that must be refused
    with session_scope(store_engine, write=True) as session:
        for call in (  # the default edition (2016) does not know this questionnaire
            lambda: qi.analyse_import(session=session, questionnaire=questionnaire, table=table, mapping=mapping),
            lambda: qi.import_answers(
                session=session, questionnaire=questionnaire, table=table, mapping=mapping, created_by="anne"
            ),
            lambda: qi.import_answers(
                session=session,
                questionnaire=first_q,
                table=table,
                mapping=proposed(first_q, table),
                created_by="anne",
                edition_id=second,
            ),
        ):
            with pytest.raises(NotFoundError):
                call()
    report = run_import(store_engine, questionnaire, table, mapping=mapping, edition_id=second, save_as="CVL")
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (7, 6, 1)
    reasons = {p.value: p.reason for p in report.problems if p.kind == qi.KIND_REJECTED}
    remarks = {p.value: p.reason for p in report.problems if p.kind == qi.KIND_NOTE}
    filed = "44 (Loire-Atlantique, Région Pays de la Loire) n'est pas un département de la Région Centre-Val de Loire"
    assert remarks["44"].startswith(filed) and remarks["Loire-Atlantique"] == remarks["44"]
    assert remarks["49000"].startswith("49 (Maine-et-Loire, Région Pays de la Loire) n'est pas un département")
    assert "aucun département français" in reasons["99"]

    with session_scope(store_engine) as session:
        stored = dict(
            session.exec(
                select(QuestionnaireResponse.organisation, QuestionnaireResponse.departement).where(
                    QuestionnaireResponse.import_batch_id == report.batch_id
                )
            ).all()
        )
        made = session.exec(select(Contribution).where(col(Contribution.body).startswith(body))).all()
        assert qs.results_overview(session=session, questionnaire_id=first_q.id).responses == 0
        assert qs.results_overview(session=session, questionnaire_id=questionnaire.id, edition_id=second).responses == 6
        assert [
            b.rows_imported
            for b in qi.list_batches(session=session, questionnaire_id=questionnaire.id, edition_id=second)
        ] == [6]
        assert [
            m.name for m in qi.list_mappings(session=session, questionnaire_id=questionnaire.id, edition_id=second)
        ] == ["CVL"]
        for call in (
            lambda: qi.list_batches(session=session, questionnaire_id=questionnaire.id),
            lambda: qi.list_mappings(session=session, questionnaire_id=questionnaire.id),
            lambda: qi.save_mapping(session=session, questionnaire_id=questionnaire.id, name="x", columns={}),
        ):
            with pytest.raises(NotFoundError):
                call()
    assert stored == {
        "Structure 44": "HORS",
        "Structure Loire-Atlantique": "HORS",
        "Structure 49000": "HORS",
        "Structure 45": "45",
        "Structure Loir-et-Cher": "41",
        "Structure Hors région": "HORS",
    }
    assert len(made) == 6 and {c.theme_id for c in made} <= cvl_themes


def test_an_archived_edition_takes_no_import(sqlite_engine: Engine, questionnaire: QuestionnaireInfo) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        session.execute(update(Edition).where(col(Edition.id) == FIRST_EDITION_ID).values(status="archived"))
    table = read("acteurs_windows1252.csv")
    with pytest.raises(ValidationError) as refused:
        run_import(sqlite_engine, questionnaire, table)
    assert refused.value.errors == {"edition": scope.ARCHIVED}
    with session_scope(sqlite_engine) as session:
        assert count(session, QuestionnaireResponse) == 0


def test_notes_and_problems_name_questions_as_staff_see_them(questionnaire: QuestionnaireInfo) -> None:
    """Staff pick « Q3 · the question » in the mapping list: the notes name questions the same way, never by the
    internal code."""
    required = [q for q in questionnaire.questions if q.required]
    assert required, "the seed questionnaire has required questions"
    notes = qi.mapping_notes(questionnaire, {})
    first = required[0]
    number = questionnaire.questions.index(first) + 1
    assert any(f"« Q{number} · " in note and "obligatoires" in note for note in notes)
    assert not any(q.code in note for note in notes for q in questionnaire.questions)

    multiple = next(q for q in questionnaire.questions if q.choices and q.qtype == "multiple")
    both = {"Colonne entière": f"q:{multiple.code}", "Une case": f"opt:{multiple.code}:{multiple.choices[0]}"}
    problems = qi.check_mapping(questionnaire, both)
    number = questionnaire.questions.index(multiple) + 1
    assert any(f"« Q{number} · " in p and "à la fois" in p for p in problems)
    assert not any(multiple.code in p for p in problems)
