"""Answering the questionnaire online (draft, resume code, send) and its results, counted by the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import session_scope
from models import Contribution, QuestionnaireResponse, Theme, utcnow
from services import questionnaire_import as qi
from services import questionnaires as qs
from services.errors import NotFoundError, ValidationError
from services.exports import csv_bytes, neutralise_cell
from tests.fixtures.questionnaire_files import FIXTURES

IDEA = "Un guichet unique État-Région pour les dossiers de subvention des associations."


@pytest.fixture
def questionnaire(sqlite_engine: Engine) -> qs.QuestionnaireInfo:
    with session_scope(sqlite_engine) as session:
        return qs.get_questionnaire(session=session)


def complete_answers(questionnaire: qs.QuestionnaireInfo) -> dict[str, object]:
    """A valid answer to every required question (and one open answer)."""
    answers: dict[str, object] = {}
    for q in questionnaire.questions:
        if q.qtype == "single":
            answers[q.code] = q.choices[0]
        elif q.qtype == "multiple":
            answers[q.code] = [q.choices[1], q.choices[0]]
        elif q.qtype == "scale":
            answers[q.code] = 4
        elif q.qtype == "yesno":
            answers[q.code] = "oui"
    answers["q_institutions_proposition"] = IDEA
    return answers


def test_the_shipped_questionnaire_covers_the_five_themes(questionnaire: qs.QuestionnaireInfo) -> None:
    assert questionnaire.slug == "questionnaire-acteurs-2016"
    assert len(questionnaire.sections) == 6 and questionnaire.sections[0].theme_id is None
    assert sorted(s.theme_id for s in questionnaire.sections[1:]) == [1, 2, 3, 4, 5]  # type: ignore[type-var]
    assert {q.qtype for q in questionnaire.questions} == {"open", "single", "multiple", "scale", "yesno"}


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("q_structure_taille", None, "Cette question est obligatoire."),
        ("q_structure_taille", "Mille salariés", "Choisissez l'une des réponses proposées."),
        ("q_institutions_dispositifs", ["Portail ESSOR", "Inventé"], "Choisissez parmi les réponses proposées."),
        ("q_institutions_association", 6, "Choisissez une note de 1 à 5."),
        ("q_institutions_association", "3.5", "Choisissez une note de 1 à 5."),
        ("q_structure_reseau", "peut-être", "Répondez par oui ou par non."),
        ("q_institutions_proposition", "Trop court", "Votre réponse est trop court : 10 caractère(s), 20 au minimum."),
        ("q_institutions_proposition", "x" * 2001, "Votre réponse est trop long : 2001 caractères, 2000 au maximum."),
        ("q_institutions_proposition", "Texte\x07 avec une sonnerie", "caractères de contrôle"),
    ],
)
def test_each_answer_is_checked_with_a_french_message(
    questionnaire: qs.QuestionnaireInfo, code: str, raw: object, message: str
) -> None:
    value, problem = qs.check_answer(questionnaire.question(code), raw)
    assert value is None and problem is not None and message in problem


def test_draft_resume_and_send(sqlite_engine: Engine, questionnaire: qs.QuestionnaireInfo) -> None:
    answers = complete_answers(questionnaire)
    first_section = {q.code: answers[q.code] for q in questionnaire.sections[0].questions if q.code in answers}
    with session_scope(sqlite_engine, write=True) as session:
        draft = qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers=first_section)
    assert draft.status == "draft" and len(draft.resume_code) == 14 and draft.resume_code.count("-") == 2

    # Resumed on another device, typed in lower case without dashes.
    typed = draft.resume_code.replace("-", "").lower()
    with session_scope(sqlite_engine) as session:
        resumed = qs.load_draft(session=session, resume_code=typed)
        assert qs.load_draft(session=session, resume_code="AAAA-AAAA-AAAA") is None
    assert resumed is not None and resumed.answers == first_section

    with session_scope(sqlite_engine, write=True) as session, pytest.raises(ValidationError) as refused:
        qs.submit_response(session=session, resume_code=typed)
    assert "q_institutions_association" in refused.value.errors

    respondent = qs.Respondent(organisation="SCOP Les Ateliers du Val", actor_type="cooperative", departement="49")
    with session_scope(sqlite_engine, write=True) as session:
        receipt = qs.submit_response(session=session, resume_code=typed, answers=answers, respondent=respondent)
    assert not receipt.duplicate and receipt.answered == len(answers)
    assert [c.question_code for c in receipt.contributions] == ["q_institutions_proposition"]
    with session_scope(sqlite_engine, write=True) as session:
        again = qs.submit_response(session=session, resume_code=typed)
        assert again.duplicate and again.contributions == receipt.contributions
        with pytest.raises(ValidationError):
            qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={}, resume_code=draft.resume_code)
    with session_scope(sqlite_engine) as session:
        [contribution] = session.exec(select(Contribution)).all()
        theme = session.get(Theme, contribution.theme_id)
        response = session.exec(select(QuestionnaireResponse)).one()
    assert contribution.body == IDEA and contribution.source == "questionnaire" and theme is not None
    assert theme.code == "institutions" and contribution.response_id == response.id
    assert (contribution.organisation, contribution.departement) == ("SCOP Les Ateliers du Val", "49")
    assert response.status == "submitted" and response.consent_at is not None
    with session_scope(sqlite_engine) as session:
        raw = session.connection().exec_driver_sql(
            "SELECT count(*) FROM answer a JOIN question q ON q.id = a.question_id "
            "WHERE q.qtype != 'multiple' AND a.value_choices IS NOT NULL"
        )
        assert raw.scalar() == 0  # SQL NULL, not the JSON text 'null', outside multiple choices


def test_a_draft_keeps_valid_answers_and_refuses_bad_ones(
    sqlite_engine: Engine, questionnaire: qs.QuestionnaireInfo
) -> None:
    with session_scope(sqlite_engine, write=True) as session, pytest.raises(ValidationError) as refused:
        qs.save_draft(
            session=session,
            questionnaire_id=questionnaire.id,
            answers={"q_structure_taille": "1 à 9 salariés"},
            respondent=qs.Respondent(email="pas-une-adresse", departement="99"),
        )
    assert set(refused.value.errors) == {"email", "departement"}
    with session_scope(sqlite_engine, write=True) as session, pytest.raises(NotFoundError):
        qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={}, resume_code="ACDE-FGHJ-KMNP")


def test_stale_drafts_are_purged(sqlite_engine: Engine, questionnaire: qs.QuestionnaireInfo) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        old = qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={"q_structure_reseau": "oui"})
        qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={"q_structure_reseau": "non"})
        session.execute(
            update(QuestionnaireResponse)
            .where(col(QuestionnaireResponse.resume_code) == old.resume_code)
            .values(updated_at=utcnow() - timedelta(days=90))
        )
    with session_scope(sqlite_engine, write=True) as session:
        assert qs.purge_stale_drafts(session=session, older_than_days=60) == 1
        assert qs.load_draft(session=session, resume_code=old.resume_code) is None


def test_results_are_counted_by_the_database_with_filters(store_engine: Engine) -> None:
    """Online and imported responses together; multiple choices unnested on SQLite and PostgreSQL alike."""
    with session_scope(store_engine) as session:
        questionnaire = qs.get_questionnaire(session=session)
    answers = complete_answers(questionnaire)
    for actor, dept in (("association", "44"), ("cooperative", "49")):
        with session_scope(store_engine, write=True) as session:
            draft = qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={})
            qs.submit_response(
                session=session,
                resume_code=draft.resume_code,
                answers=answers,
                respondent=qs.Respondent(actor_type=actor, departement=dept),
            )
    with session_scope(store_engine, write=True) as session:
        qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={})  # a draft: never counted
        table = qi.read_table(filename="a.csv", data=(FIXTURES / "acteurs_windows1252.csv").read_bytes())
        mapping = {h: p.target for h, p in qi.propose_mapping(questionnaire, table.headers).items()}
        qi.import_answers(session=session, questionnaire=questionnaire, table=table, mapping=mapping, created_by="t")

    with session_scope(store_engine) as session:
        overview = qs.results_overview(session=session, questionnaire_id=questionnaire.id)
        results = {r.question.code: r for r in qs.question_results(session=session, questionnaire_id=questionnaire.id)}
        only_44 = qs.ResultsFilter(departement="44")
        filtered = {
            r.question.code: r
            for r in qs.question_results(session=session, questionnaire_id=questionnaire.id, filters=only_44)
        }
        total, open_answers = qs.list_open_answers(
            session=session, question_id=questionnaire.question("q_institutions_proposition").id
        )
    assert (overview.responses, overview.online, overview.imported, overview.drafts) == (6, 2, 4, 1)
    assert overview.contributions == 2 + 5

    size = results["q_structure_taille"]
    assert size.answered == 6
    assert {c.label: c.count for c in size.counts}["Aucun salarié"] == 2 + 1
    network = results["q_structure_reseau"]
    assert [(c.label, c.count) for c in network.counts] == [("Oui", 4), ("Non", 2)]
    scale = results["q_institutions_association"]
    assert [c.count for c in scale.counts] == [0, 1, 1, 3, 1] and scale.mean == pytest.approx(22 / 6)
    schemes = {c.label: c.count for c in results["q_institutions_dispositifs"].counts}
    assert schemes["DLA (dispositif local d'accompagnement)"] == 2 and schemes["Portail ESSOR"] == 2
    assert schemes["DASESS"] == 0  # every choice listed, zeros included

    assert filtered["q_structure_taille"].answered == 2  # one online (44) and one imported (44)
    assert total == 6 and len(open_answers) == 6
    assert sum(1 for a in open_answers if a.receipt_code) == 5  # "Non." stayed an answer only


def test_exports_are_formula_safe(sqlite_engine: Engine, questionnaire: qs.QuestionnaireInfo) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        draft = qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={})
        answers = complete_answers(questionnaire) | {"q_emploi_proposition": '=HYPERLINK("http://x") pour l\'emploi'}
        qs.submit_response(
            session=session,
            resume_code=draft.resume_code,
            answers=answers,
            respondent=qs.Respondent(organisation="@Asso du Maine"),
        )
    with session_scope(sqlite_engine) as session:
        responses = qs.export_responses_csv(session=session, questionnaire_id=questionnaire.id).decode("utf-8-sig")
        results = qs.export_results_csv(session=session, questionnaire_id=questionnaire.id).decode("utf-8-sig")
    assert "'@Asso du Maine" in responses and "'=HYPERLINK" in responses
    assert "Envoyée le;Origine;Organisation" in responses.splitlines()[0]
    assert "q_structure_taille;" in results and "Part (%)" in results


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcaché", "'\tcaché"),
        ("\rretour", "'\rretour"),
        ("\nligne", "'\nligne"),
        ("Une idée = une contribution", "Une idée = une contribution"),
        (42, 42),
        (None, None),
    ],
)
def test_neutralise_cell(value: object, expected: object) -> None:
    assert neutralise_cell(value) == expected


def test_csv_bytes_opens_in_a_french_excel() -> None:
    data = csv_bytes(["Nom", "Valeur"], [["=cmd", 3], ["a;b", None]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == 'Nom;Valeur\r\n\'=cmd;3\r\n"a;b";\r\n'
