"""The questionnaire pages under AppTest: answer online (draft, resume, send), import a file, read the results."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import Contribution, ImportMapping, QuestionnaireResponse
from tests.app_pages.helpers import account, app_as, script, texts
from tests.editions import FIRST_EDITION_ID, load_second_edition
from tests.fixtures.mapping_exports import EXPORTS
from tests.fixtures.questionnaire_files import FIXTURES

pytestmark = pytest.mark.usefixtures("app_env")

PUBLIC = "app_pages/questionnaire.py"
IMPORT = "app_pages/import_questionnaire.py"
RESULTS = "app_pages/questionnaire_results.py"
IDEA = "Un guichet unique État-Région pour les dossiers de subvention des associations."


def count(model: type, *where: object) -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception
    return at


def answer_section(at: AppTest) -> None:
    """A valid answer to every question on screen: first choice, 4 out of 5, oui, one idea."""
    for radio in at.radio:
        radio.set_value(4 if "4" in radio.options else radio.options[0])  # AppTest lists options as text
    for multi in at.multiselect:
        multi.set_value([multi.options[0]])
    for area in at.text_area:
        area.input(IDEA)


def test_answer_online_section_by_section_leave_and_resume_then_send() -> None:
    at = app_as(None).run()
    at.switch_page(PUBLIC).run()
    assert not at.exception and at.title[0].value == "Questionnaire aux acteurs"
    assert "Vos données" in texts(at)
    click(at, "qn_start")
    assert "Étape 1 sur 7 · Votre structure" in at.get("progress")[0].proto.text

    click(at, "qn_next")  # nothing answered: the required questions say so, next to themselves
    assert [e.value for e in at.error].count("Cette question est obligatoire.") == 2
    assert at.session_state["qn_step"] == 0

    answer_section(at)
    at.run()
    click(at, "qn_next")
    assert at.session_state["qn_step"] == 1 and not at.error
    code = at.session_state["qn_resume_code"]
    assert f"code de reprise : {code}" in texts(at)

    at.text_area[0].input("Trop court")  # an open answer follows the contribution rules
    at.run()
    click(at, "qn_next")
    assert "Votre réponse est trop court : 10 caractère(s), 20 au minimum." in [e.value for e in at.error]
    assert at.text_area[0].value == "Trop court"  # what was typed stays
    click(at, "qn_previous")
    assert at.radio[0].value is not None  # section 1 answers kept while moving back
    click(at, "qn_later")  # a refused answer elsewhere: back to its section, with its message
    assert at.session_state["qn_step"] == 1 and at.text_area[0].value == "Trop court"
    at.text_area[0].input(IDEA).run()
    click(at, "qn_later")
    assert [c.value for c in at.code] == [code]

    # Later, on another phone: the code brings the answers back, at the first unfinished section.
    other = app_as(None).run()
    other.switch_page(PUBLIC).run()
    other.text_input(key="qn_resume_input").input(code.replace("-", " ").lower()).run()
    click(other, "qn_resume")
    assert other.session_state["qn_step"] == 1
    for step in range(1, 6):
        answer_section(other)
        other.run()
        click(other, "qn_next")
        assert other.session_state["qn_step"] == step + 1, [e.value for e in other.error]
    other.text_input(key="qn_organisation").input("SCOP Les Ateliers du Val")
    other.selectbox(key="qn_actor").set_value("Coopérative")
    other.selectbox(key="qn_departement").set_value("49 · Maine-et-Loire")
    other.text_input(key="qn_email").input("pas-une-adresse").run()
    click(other, "qn_send")
    assert "L'adresse électronique n'a pas la forme nom@domaine.fr." in [e.value for e in other.error]
    other.text_input(key="qn_email").input("").run()
    click(other, "qn_send")
    assert "Merci : vos réponses sont enregistrées." in [s.value for s in other.success]
    assert other.metric[0].value == code
    assert count(QuestionnaireResponse, QuestionnaireResponse.status == "submitted") == 1
    assert count(Contribution, Contribution.source == "questionnaire") == 5  # one per open question, all answered

    # The first phone sends again: nothing doubles.
    at.switch_page(PUBLIC).run()
    assert count(Contribution) == 5


def test_resume_with_an_unknown_code_says_so() -> None:
    at = app_as(None).run()
    at.switch_page(PUBLIC).run()
    at.text_input(key="qn_resume_input").input("ACDE-FGHJ-KMNP").run()
    click(at, "qn_resume")
    assert "Ce code ne correspond à aucun brouillon" in texts(at)


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].upload(name, data, "text/csv").run()
    assert not at.exception
    return at


def test_import_upload_mapping_preview_import_report() -> None:
    at = app_as("staff").run()
    at.switch_page(IMPORT).run()
    assert not at.exception and at.title[0].value == "Import des réponses au questionnaire"
    upload(at, "acteurs.csv", (FIXTURES / "acteurs_windows1252.csv").read_bytes())
    content = texts(at)
    assert "CSV · 10 colonnes · 6 lignes de réponses · encodage Windows-1252 · séparateur point-virgule" in content
    assert "Département" in [t.value for t in at.text]  # the file's own column name, as plain text
    assert at.selectbox(key="imp_map_3").value == "Répondant · Département"
    assert at.selectbox(key="imp_map_9").value == "— Ignorer cette colonne —"
    assert "6 lignes lues : 4 à importer, 0 déjà présentes, 2 rejetées" in content
    preview = at.dataframe[0].value
    assert list(preview["État"]) == ["À importer", "À importer", "Rejetée", "À importer", "Rejetée", "À importer"]

    # Staff correct the proposal: "Remarques" goes to the respondent's name; the mapping is saved.
    at.selectbox(key="imp_map_9").set_value("Répondant · Nom de la personne").run()
    at.text_input(key="imp_save_as").input("Export Framaforms").run()
    click(at, "imp_run")
    assert "Import terminé. 6 lignes lues : 4 importées, 0 déjà présentes, 2 rejetées" in at.success[0].value
    assert [m.value for m in at.metric] == ["6", "4", "0", "2"]
    assert len(at.get("download_button")) == 2
    report = at.dataframe[0].value
    assert list(report["Ligne"]) == [4, 5, 6]
    assert count(QuestionnaireResponse, QuestionnaireResponse.origin == "import") == 4
    assert count(ImportMapping) == 1

    # The same file again: the saved mapping is offered, and nothing new is imported.
    click(at, "imp_again")
    upload(at, "acteurs.csv", (FIXTURES / "acteurs_windows1252.csv").read_bytes())
    at.selectbox(key="imp_saved_mapping").set_value("Export Framaforms").run()
    assert at.selectbox(key="imp_map_9").value == "Répondant · Nom de la personne"
    assert "0 à importer, 4 déjà présentes, 2 rejetées" in texts(at)
    assert at.button(key="imp_run").disabled


def test_the_proposal_shows_each_column_confidence_and_what_matched() -> None:
    """A Google Forms export of reworded questions: each proposed column says how sure and why (never a bare
    percentage); a column nothing fits says so and stays ignored."""
    at = app_as("staff").run()
    at.switch_page(IMPORT).run()
    data = (EXPORTS / "google_forms_acteurs_2016.csv").read_bytes()
    data = data.replace(b'"Horodateur",', b'"Horodateur","Remarque interne",', 1)
    lines = data.split(b"\n")
    data = b"\n".join([lines[0], *(line.replace(b'",', b'","vu",', 1) for line in lines[1:] if line)])
    upload(at, "google.csv", data)
    captions = [c.value for c in at.caption]
    assert "Proposé : nom habituel de ce champ · valeurs : dates" in captions
    assert "Proposé : intitulé proche de la question Q3 · valeurs : oui / non" in captions
    assert "Aucune proposition sûre : choisissez." in captions
    assert at.selectbox(key="imp_map_1").value == "— Ignorer cette colonne —"
    assert not any("%" in c for c in captions if c.startswith("Proposé"))
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert any("Confiance élevée" in b for b in badges)
    summary = next(t.value for t in at.text if t.value.startswith("Proposition :"))
    assert "en confiance élevée" in summary and "1 sans proposition sûre" in summary
    # Staff choose another target: the proposal's reason goes, the choice is theirs.
    at.selectbox(key="imp_map_0").set_value("— Ignorer cette colonne —").run()
    assert "Proposé : nom habituel de ce champ · valeurs : dates" not in [c.value for c in at.caption]


def test_file_text_is_never_markdown_and_bad_mappings_are_explained() -> None:
    at = app_as("admin").run()
    at.switch_page(IMPORT).run()
    header = "**Gras** <b>balise</b> [lien](http://x)"
    upload(at, "piege.csv", f"{header};Organisation\nvaleur;Asso\n".encode())
    assert header in [t.value for t in at.text]
    assert all(header not in m.value for m in at.markdown)
    assert "Aucune colonne n'est reliée à une question" in " ".join(t.value for t in at.text)


def test_unreadable_upload_is_refused_in_french() -> None:
    at = app_as("staff").run()
    at.switch_page(IMPORT).run()
    at.file_uploader[0].upload("vieux.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "text/csv").run()
    assert not at.exception
    assert "Les classeurs .xls et .ods ne sont pas lus" in at.error[0].value


def test_results_page_with_filters_and_exports() -> None:
    from services import questionnaire_import as qi
    from services import questionnaires as qs

    with session_scope(write=True) as session:
        questionnaire = qs.get_questionnaire(session=session)
        table = qi.read_table(filename="a.csv", data=(FIXTURES / "acteurs_windows1252.csv").read_bytes())
        mapping = {h: p.target for h, p in qi.propose_mapping(questionnaire, table.headers).items()}
        qi.import_answers(session=session, questionnaire=questionnaire, table=table, mapping=mapping, created_by="t")
    at = app_as("staff").run()
    at.switch_page(RESULTS).run()
    assert not at.exception and at.title[0].value == "Résultats du questionnaire"
    assert [m.value for m in at.metric] == ["4", "0", "4", "5"]
    assert len(at.get("plotly_chart")) == 3  # the three closed questions this export answers
    assert "Un guichet unique État-Région" in " ".join(str(df.value) for df in at.dataframe)
    at.selectbox(key=f"res_departement_{FIRST_EDITION_ID}").set_value("49 · Maine-et-Loire").run()
    assert not at.exception and at.metric[0].value == "1"
    assert len(at.get("download_button")) == 2


@pytest.mark.parametrize("path", [IMPORT, RESULTS])
@pytest.mark.parametrize("role", [None, "organizer"])
def test_staff_questionnaire_pages_are_guarded(path: str, role: str | None) -> None:
    at = app_as(role).run()
    with pytest.raises(ValueError):
        at.switch_page(path)
    direct = AppTest.from_file(script(path), default_timeout=30)
    if role is not None:
        direct.session_state["staff_account"] = account(role)
    direct.run()
    assert not direct.exception
    assert not direct.title and "réservée aux équipes habilitées" in texts(direct)


# --- two editions in one store ---------------------------------------------------------------

SECOND = "centre-val-de-loire-2022"


def second_edition() -> int:
    with session_scope(write=True) as session:
        return load_second_edition(session)


def full_draft(edition_id: int | None, organisation: str, departement: str, *, send: bool = False) -> str:
    """A draft of the edition's questionnaire with every question answered (sent if asked); its resume code."""
    from services import questionnaires as qs

    with session_scope(write=True) as session:
        questionnaire = qs.get_questionnaire(session=session, edition_id=edition_id)
        answers: dict[str, object] = {}
        for q in questionnaire.questions:
            if q.qtype == "open":
                answers[q.code] = f"{IDEA} ({organisation})"
            elif q.qtype == "scale":
                answers[q.code] = 4
            elif q.qtype == "yesno":
                answers[q.code] = "oui"
            else:
                answers[q.code] = [q.choices[0]] if q.qtype == "multiple" else q.choices[0]
        respondent = qs.Respondent(organisation=organisation, departement=departement)
        draft = qs.save_draft(
            session=session,
            questionnaire_id=questionnaire.id,
            answers=answers,
            respondent=respondent,
            edition_id=questionnaire.edition_id,
        )
        if send:
            qs.submit_response(session=session, resume_code=draft.resume_code, edition_id=questionnaire.edition_id)
    return draft.resume_code


def sections_of(edition_id: int) -> int:
    from services import questionnaires as qs

    with session_scope() as session:
        return len(qs.get_questionnaire(session=session, edition_id=edition_id).sections)


def test_the_questionnaire_is_the_edition_named_in_the_url_and_resumes_only_its_own_drafts() -> None:
    second = second_edition()
    first_code = full_draft(None, "Ressourcerie du Maine", "72")
    second_code = full_draft(second, "Scop du Berry", "18")

    at = app_as(None)
    at.query_params["edition"] = SECOND
    at.run()
    at.switch_page(PUBLIC).run()
    assert not at.exception
    content = texts(at).replace("\\", "")  # the pack's texts are drawn Markdown-escaped
    assert "Centre-Val de Loire · sans compte" in content and "24/11/2022 à Bourges" in content  # from the pack
    assert "Pays de la Loire" not in content and "Angers" not in content

    # The 2016 edition's resume code opens nothing here.
    at.text_input(key="qn_resume_input").input(first_code).run()
    click(at, "qn_resume")
    assert "Ce code ne correspond à aucun brouillon" in texts(at)
    assert at.session_state["qn_step"] == -1

    at.text_input(key="qn_resume_input").input(second_code).run()
    click(at, "qn_resume")
    assert at.session_state["qn_step"] == sections_of(second)  # every question answered: the last step
    options = at.selectbox(key="qn_departement").options
    assert "45 · Loiret" in options and "Hors région" in options
    assert not any(o.startswith(("44", "49")) for o in options)
    assert at.selectbox(key="qn_departement").value == "18 · Cher"
    assert at.text_input(key="qn_organisation").value == "Scop du Berry"


def structures(at: AppTest) -> set[str]:
    """The organisations of the open answers listed on the results page."""
    return {name for df in at.dataframe if "Structure" in df.value for name in df.value["Structure"]}


def test_the_results_page_shows_the_sidebar_edition_only() -> None:
    second = second_edition()
    full_draft(None, "Ressourcerie du Maine", "72", send=True)
    for organisation in ("Scop du Berry", "Asso de Blois"):
        full_draft(second, organisation, "41", send=True)

    at = app_as("staff").run()
    at.switch_page(RESULTS).run()
    assert not at.exception
    assert at.metric[0].value == "1"
    assert structures(at) == {"Ressourcerie du Maine"}

    staff = app_as("staff")
    staff.session_state["edition_slug"] = SECOND
    staff.run()
    staff.switch_page(RESULTS).run()
    assert not staff.exception
    assert staff.metric[0].value == "2" and staff.metric[1].value == "2"
    assert structures(staff) == {"Scop du Berry", "Asso de Blois"}
    options = staff.selectbox(key=f"res_departement_{second}").options
    assert "41 · Loir-et-Cher" in options and "72 · Sarthe" not in options
    staff.selectbox(key=f"res_departement_{second}").set_value("41 · Loir-et-Cher").run()
    assert not staff.exception and staff.metric[0].value == "2"
    titles = staff.selectbox(key=f"res_questionnaire_{second}").options
    assert titles == ["Questionnaire aux acteurs de l'ESS du Centre-Val de Loire"]


def test_the_import_page_imports_into_the_sidebar_edition() -> None:
    second = second_edition()
    staff = app_as("staff")
    staff.session_state["edition_slug"] = SECOND
    staff.run()
    staff.switch_page(IMPORT).run()
    assert not staff.exception
    assert staff.selectbox(key=f"imp_questionnaire_{second}").options == [
        "Questionnaire aux acteurs de l'ESS du Centre-Val de Loire"
    ]
    data = "Structure;Département;q_emploi_evolution\nScop du Berry;18;Stables\nAsso de Nantes;44;Stables\n"
    upload(staff, "cvl.csv", data.encode())
    assert "2 lignes lues : 2 à importer, 0 déjà présentes, 0 rejetées" in texts(staff)
    click(staff, "imp_run")
    assert "2 importées" in staff.success[0].value
    remarks = " ".join(staff.dataframe[0].value["Motif"])  # kept, filed « Hors région », with the reason
    assert "44 (Loire-Atlantique, Région Pays de la Loire) n'est pas un département de la Région Centre-Val" in remarks
    with session_scope() as session:
        from models import Questionnaire

        slugs = session.exec(
            select(Questionnaire.slug).join(
                QuestionnaireResponse, col(QuestionnaireResponse.questionnaire_id) == Questionnaire.id
            )
        ).all()
    assert slugs == ["questionnaire-acteurs-2022"] * 2
