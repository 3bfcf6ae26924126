"""Answering the questionnaire online (draft, resume code, send) and its results, counted by the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import session_scope
from models import Contribution, Edition, QuestionnaireResponse, Theme, utcnow
from services import questionnaire_import as qi
from services import questionnaires as qs
from services import scope
from services.errors import NotFoundError, ValidationError
from services.exports import csv_bytes, neutralise_cell
from tests.editions import FIRST_EDITION_ID, load_second_edition
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


# --- two editions in one store ---------------------------------------------------------------

CVL_IDEA = "Un fonds de garantie régional pour les coopératives qui reprennent une entreprise du territoire."


def every_answer(questionnaire: qs.QuestionnaireInfo, idea: str) -> dict[str, object]:
    """A valid answer to every question of any questionnaire, `idea` for the open ones."""
    answers = complete_answers(questionnaire)
    answers.pop("q_institutions_proposition", None)
    for q in questionnaire.questions:
        if q.qtype == "open":
            answers[q.code] = idea
    return answers


def send(
    engine: Engine, questionnaire: qs.QuestionnaireInfo, idea: str, respondent: qs.Respondent
) -> qs.ResponseReceipt:
    with session_scope(engine, write=True) as session:
        draft = qs.save_draft(
            session=session, questionnaire_id=questionnaire.id, answers={}, edition_id=questionnaire.edition_id
        )
        return qs.submit_response(
            session=session,
            resume_code=draft.resume_code,
            answers=every_answer(questionnaire, idea),
            respondent=respondent,
            edition_id=questionnaire.edition_id,
        )


@pytest.fixture
def two_editions(store_engine: Engine) -> tuple[qs.QuestionnaireInfo, qs.QuestionnaireInfo]:
    """The 2016 questionnaire (default edition) and the Centre-Val de Loire 2022 one, in the same store."""
    with session_scope(store_engine, write=True) as session:
        second = load_second_edition(session)
    with session_scope(store_engine) as session:
        return qs.get_questionnaire(session=session), qs.get_questionnaire(session=session, edition_id=second)


def test_each_edition_has_its_own_questionnaire_and_finds_only_its_own(
    store_engine: Engine, two_editions: tuple[qs.QuestionnaireInfo, qs.QuestionnaireInfo]
) -> None:
    first, second = two_editions
    assert (first.edition_id, first.slug) == (FIRST_EDITION_ID, "questionnaire-acteurs-2016")
    assert second.edition_id != FIRST_EDITION_ID and second.slug == "questionnaire-acteurs-2022"
    with session_scope(store_engine) as session:
        cvl_themes = set(scope.theme_ids(session=session, edition_id=second.edition_id))
        assert [s.slug for s in qs.list_questionnaires(session=session)] == [first.slug]
        assert [s.slug for s in qs.list_questionnaires(session=session, edition_id=second.edition_id)] == [second.slug]
        # Section themes are the edition's own, though theme and question codes overlap with 2016's.
        assert {s.theme_id for s in second.sections if s.theme_id} <= cvl_themes
        assert {"q_structure_taille", "q_emploi_evolution"} <= {q.code for q in second.questions}
        with pytest.raises(NotFoundError):
            qs.get_questionnaire(session=session, questionnaire_id=second.id)  # not the default edition's
        with pytest.raises(NotFoundError):
            qs.get_questionnaire(session=session, questionnaire_id=first.id, edition_id=second.edition_id)
        with pytest.raises(NotFoundError, match="aucun questionnaire"):
            qs.find_questionnaire(session=session, name="questionnaire-acteurs-2022")
        found = qs.find_questionnaire(session=session, name="QUESTIONNAIRE-acteurs-2022", edition_id=second.edition_id)
        assert found.id == second.id


def test_responses_results_and_exports_of_one_edition_never_include_the_other(
    store_engine: Engine, two_editions: tuple[qs.QuestionnaireInfo, qs.QuestionnaireInfo]
) -> None:
    first, second = two_editions
    send(store_engine, first, IDEA, qs.Respondent(organisation="Ressourcerie du Maine", departement="72"))
    receipt = send(store_engine, second, CVL_IDEA, qs.Respondent(organisation="Scop du Berry", departement="18"))
    send(store_engine, second, CVL_IDEA + " Bis.", qs.Respondent(organisation="Asso de Blois", departement="HORS"))
    assert {c.question_code for c in receipt.contributions} == {
        q.code for q in second.questions if q.qtype == "open" and q.theme_id
    }

    with session_scope(store_engine) as session:
        cvl_themes = set(scope.theme_ids(session=session, edition_id=second.edition_id))
        made = session.exec(select(Contribution).where(col(Contribution.body).startswith(CVL_IDEA))).all()
        assert made and {c.theme_id for c in made} <= cvl_themes  # the edition's themes, never 2016's
        one = qs.results_overview(session=session, questionnaire_id=first.id)
        two = qs.results_overview(session=session, questionnaire_id=second.id, edition_id=second.edition_id)
        results = {
            r.question.code: r
            for r in qs.question_results(session=session, questionnaire_id=second.id, edition_id=second.edition_id)
        }
        first_results = {r.question.code: r for r in qs.question_results(session=session, questionnaire_id=first.id)}
        exports = {
            "first_responses": qs.export_responses_csv(session=session, questionnaire_id=first.id),
            "first_results": qs.export_results_csv(session=session, questionnaire_id=first.id),
            "second_responses": qs.export_responses_csv(
                session=session, questionnaire_id=second.id, edition_id=second.edition_id
            ),
        }
        open_question = next(q for q in second.questions if q.qtype == "open")
        total, answers = qs.list_open_answers(
            session=session, question_id=open_question.id, edition_id=second.edition_id
        )
        # Another edition's ids act as if they did not exist.
        for call in (
            lambda: qs.results_overview(session=session, questionnaire_id=second.id),
            lambda: qs.question_results(session=session, questionnaire_id=first.id, edition_id=second.edition_id),
            lambda: qs.export_results_csv(session=session, questionnaire_id=second.id),
            lambda: qs.export_responses_csv(session=session, questionnaire_id=second.id),
            lambda: qs.list_open_answers(session=session, question_id=open_question.id),
        ):
            with pytest.raises(NotFoundError):
                call()

    def opens(q: qs.QuestionnaireInfo) -> int:
        return sum(1 for x in q.questions if x.qtype == "open" and x.theme_id)

    assert (one.responses, one.contributions) == (1, opens(first))
    assert (two.responses, two.contributions) == (2, 2 * opens(second))
    # The overlapping code counts each edition's own answers only.
    assert results["q_emploi_evolution"].answered == 2 and first_results["q_emploi_evolution"].answered == 1
    assert total == 2 and {a.organisation for a in answers} == {"Scop du Berry", "Asso de Blois"}
    first_text = exports["first_responses"].decode("utf-8-sig")
    assert "Ressourcerie du Maine" in first_text and "Scop du Berry" not in first_text and CVL_IDEA not in first_text
    assert "q_financer_proposition" not in exports["first_results"].decode("utf-8-sig")
    second_text = exports["second_responses"].decode("utf-8-sig")
    assert "Scop du Berry" in second_text and "Ressourcerie du Maine" not in second_text


def test_a_resume_code_of_one_edition_opens_nothing_in_the_other(
    store_engine: Engine, two_editions: tuple[qs.QuestionnaireInfo, qs.QuestionnaireInfo]
) -> None:
    first, second = two_editions
    with session_scope(store_engine, write=True) as session:
        draft = qs.save_draft(session=session, questionnaire_id=first.id, answers={"q_structure_reseau": "oui"})
    other = second.edition_id
    with session_scope(store_engine, write=True) as session:
        assert qs.load_draft(session=session, resume_code=draft.resume_code) is not None
        assert qs.load_draft(session=session, resume_code=draft.resume_code, edition_id=other) is None
        with pytest.raises(NotFoundError, match="code de reprise"):
            qs.save_draft(
                session=session,
                questionnaire_id=second.id,
                answers={"q_emploi_evolution": second.question("q_emploi_evolution").choices[0]},
                resume_code=draft.resume_code,
                edition_id=other,
            )
        with pytest.raises(NotFoundError, match="code de reprise"):
            qs.submit_response(session=session, resume_code=draft.resume_code, edition_id=other)
        with pytest.raises(NotFoundError):  # the other edition's questionnaire, asked in this one
            qs.save_draft(session=session, questionnaire_id=first.id, answers={}, edition_id=other)
    with session_scope(store_engine) as session:
        stored = session.exec(
            select(QuestionnaireResponse).where(QuestionnaireResponse.resume_code == draft.resume_code)
        ).one()
        assert (stored.questionnaire_id, stored.status) == (first.id, "draft")
        assert qs.load_draft(session=session, resume_code=draft.resume_code).answers == {"q_structure_reseau": "oui"}  # type: ignore[union-attr]


def test_the_departement_is_one_of_the_edition_region_or_out_of_region(
    store_engine: Engine, two_editions: tuple[qs.QuestionnaireInfo, qs.QuestionnaireInfo]
) -> None:
    first, second = two_editions
    cases = [
        (first, "45", "45 n'est pas un département de la Région Pays de la Loire (Loiret, Région Centre-Val de Loire)"),
        (second, "49", "49 n'est pas un département de la Région Centre-Val de Loire (Maine-et-Loire, Région Pays"),
    ]
    for questionnaire, code, message in cases:
        with session_scope(store_engine, write=True) as session, pytest.raises(ValidationError) as refused:
            qs.save_draft(
                session=session,
                questionnaire_id=questionnaire.id,
                answers={},
                respondent=qs.Respondent(departement=code),
                edition_id=questionnaire.edition_id,
            )
        assert (
            message in refused.value.errors["departement"] and "« Hors région »" in refused.value.errors["departement"]
        )
    for questionnaire, code in ((first, "49"), (first, "HORS"), (second, "45"), (second, "HORS")):
        with session_scope(store_engine, write=True) as session:
            state = qs.save_draft(
                session=session,
                questionnaire_id=questionnaire.id,
                answers={},
                respondent=qs.Respondent(departement=code),
                edition_id=questionnaire.edition_id,
            )
        assert state.respondent.departement == code


def test_an_archived_edition_takes_no_more_answers(sqlite_engine: Engine, questionnaire: qs.QuestionnaireInfo) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        draft = qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={})
        session.execute(update(Edition).where(col(Edition.id) == FIRST_EDITION_ID).values(status="archived"))
    with session_scope(sqlite_engine, write=True) as session, pytest.raises(ValidationError) as refused:
        qs.submit_response(session=session, resume_code=draft.resume_code, answers=complete_answers(questionnaire))
    assert refused.value.errors == {"edition": scope.ARCHIVED}
    with session_scope(sqlite_engine, write=True) as session, pytest.raises(ValidationError):
        qs.save_draft(session=session, questionnaire_id=questionnaire.id, answers={})
