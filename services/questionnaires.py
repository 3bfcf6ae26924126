"""The actor questionnaire of an edition: its definition (from the edition's pack), answering online with a resumable
draft, results.

A questionnaire belongs to one edition; its responses, answers and drafts hang off it. Every function that finds a
questionnaire, a question or a draft takes the edition asked (`edition_id`, None for the default one) and treats a
row of another edition as if it did not exist: a resume code of one edition's questionnaire opens nothing in another.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, null, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Answer,
    Contribution,
    Departement,
    Edition,
    ImportBatch,
    ImportMapping,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireSection,
    QuestionType,
    Source,
    Theme,
    utcnow,
)
from services import geo, throttle
from services.codes import normalise_code, readable_code
from services.contributions import (
    BODY_MAX_CHARS,
    BODY_MIN_CHARS,
    ContributionDraft,
    check_author_fields,
    submit_contribution,
)
from services.errors import NotFoundError, ValidationError
from services.exports import csv_bytes
from services.formatting import format_datetime
from services.labels import ACTOR_TYPE_LABELS, label
from services.reference import list_departements
from services.scope import require_open, resolve_edition_id
from services.text import check_text, fold


def check_definition(data: dict[str, Any]) -> list[str]:
    """Problems of a questionnaire definition (codes, types, choices), in French."""
    problems: list[str] = []
    codes: set[str] = set()
    for section in data.get("sections") or []:
        for q in section.get("questions") or []:
            code = q.get("code")
            if not code or code in codes:
                problems.append(f"code de question manquant ou en double : {code!r}")
            codes.add(code)
            if q.get("type") not in {t.value for t in QuestionType}:
                problems.append(f"{code} : type inconnu {q.get('type')!r}")
            has_choices = bool(q.get("choices"))
            if q.get("type") in (QuestionType.SINGLE, QuestionType.MULTIPLE) and not has_choices:
                problems.append(f"{code} : choix manquants")
    return problems


def load_questionnaire_definition(session: Session, *, edition_id: int, data: dict[str, Any]) -> tuple[int, bool]:
    """Create an edition's questionnaire from its definition (a pack's `questionnaire`) unless its slug exists
    in that edition; (id, created)."""
    problems = check_definition(data)
    if problems:
        raise ValidationError({"file": "Questionnaire : " + " ; ".join(problems)})
    existing = session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition_id, Questionnaire.slug == data["slug"])
    ).first()
    if existing is not None:
        assert existing.id is not None
        return existing.id, False
    themes = {t.code: t.id for t in session.exec(select(Theme).where(Theme.edition_id == edition_id)).all()}
    questionnaire = Questionnaire(
        edition_id=edition_id, slug=data["slug"], title=data["title"], description=data.get("description") or ""
    )
    session.add(questionnaire)
    session.flush()
    assert questionnaire.id is not None
    position = 0
    for s_pos, section_data in enumerate(data["sections"], start=1):
        section = QuestionnaireSection(
            questionnaire_id=questionnaire.id,
            theme_id=themes.get(section_data.get("theme") or ""),
            title=section_data["title"],
            position=s_pos,
        )
        session.add(section)
        session.flush()
        for q in section_data["questions"]:
            position += 1
            session.add(
                Question(
                    questionnaire_id=questionnaire.id,
                    section_id=section.id,
                    code=q["code"],
                    text=q["text"],
                    qtype=q["type"],
                    choices=q.get("choices"),
                    required=bool(q.get("required", False)),
                    position=position,
                )
            )
    session.flush()
    return questionnaire.id, True


def questionnaire_in_use(session: Session, *, questionnaire_id: int) -> int:
    """How many responses (drafts included), import batches and saved mappings hang off a questionnaire."""
    count = 0
    for model in (QuestionnaireResponse, ImportBatch, ImportMapping):
        count += int(
            session.exec(
                select(func.count()).select_from(model).where(model.questionnaire_id == questionnaire_id)
            ).one()
        )
    return count


IN_USE = (
    "Ce questionnaire a déjà des réponses ou des imports : il ne se modifie plus (les réponses resteraient sans "
    "leurs questions). Donnez au nouveau questionnaire un autre identifiant."
)


def replace_questionnaire_definition(session: Session, *, edition_id: int, data: dict[str, Any]) -> tuple[int, bool]:
    """The edition's questionnaire brought to `data`: created if its slug is new, rebuilt if nothing uses it yet;
    (id, changed). A questionnaire that already has responses or imports is refused (ValidationError)."""
    problems = check_definition(data)
    if problems:
        raise ValidationError({"file": "Questionnaire : " + " ; ".join(problems)})
    existing = session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition_id, Questionnaire.slug == data["slug"])
    ).first()
    if existing is not None and existing.id is not None:
        if questionnaire_in_use(session=session, questionnaire_id=existing.id):
            raise ValidationError({"questionnaire": IN_USE})
        session.execute(delete(Question).where(col(Question.questionnaire_id) == existing.id))
        session.execute(delete(QuestionnaireSection).where(col(QuestionnaireSection.questionnaire_id) == existing.id))
        session.delete(existing)
        session.flush()
    return load_questionnaire_definition(session=session, edition_id=edition_id, data=data)[0], True


# ---------------------------------------------------------------------------------------------
# The questionnaire as pages and the import see it: plain, frozen, safe to keep in a session.


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    code: str
    text: str
    qtype: str
    choices: tuple[str, ...]
    required: bool
    position: int
    section_id: int | None
    theme_id: int | None  # its section's theme: where its open answers go as contributions


@dataclass(frozen=True)
class SectionInfo:
    id: int
    title: str
    position: int
    theme_id: int | None
    questions: tuple[QuestionInfo, ...]


@dataclass(frozen=True)
class QuestionnaireInfo:
    id: int
    edition_id: int
    slug: str
    title: str
    description: str
    active: bool
    sections: tuple[SectionInfo, ...]

    @property
    def questions(self) -> list[QuestionInfo]:
        return [q for s in self.sections for q in s.questions]

    def question(self, code: str) -> QuestionInfo:
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)


@dataclass(frozen=True)
class QuestionnaireSummary:
    id: int
    slug: str
    title: str
    active: bool
    responses: int


NOT_FOUND = "Ce questionnaire n'existe pas ou n'est plus ouvert."


def list_questionnaires(session: Session, *, edition_id: int | None = None) -> list[QuestionnaireSummary]:
    """An edition's questionnaires with their count of sent responses, oldest first."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition).order_by(col(Questionnaire.id))
    ).all()
    ids = [q.id for q in rows]
    counts = dict(
        session.exec(
            select(QuestionnaireResponse.questionnaire_id, func.count())
            .where(
                QuestionnaireResponse.status == ResponseStatus.SUBMITTED,
                col(QuestionnaireResponse.questionnaire_id).in_(ids),
            )
            .group_by(col(QuestionnaireResponse.questionnaire_id))
        ).all()
    )
    return [QuestionnaireSummary(q.id or 0, q.slug, q.title, q.active, int(counts.get(q.id or 0, 0))) for q in rows]


def _questionnaire_row(session: Session, questionnaire_id: int | None, edition_id: int) -> Questionnaire:
    """The questionnaire `questionnaire_id` if it belongs to the edition (by default its first active one)."""
    if questionnaire_id is None:
        row = session.exec(
            select(Questionnaire)
            .where(Questionnaire.edition_id == edition_id, col(Questionnaire.active))
            .order_by(col(Questionnaire.id))
        ).first()
    else:
        row = session.get(Questionnaire, questionnaire_id)
    if row is None or row.id is None or row.edition_id != edition_id:
        raise NotFoundError(NOT_FOUND)
    return row


def check_in_edition(session: Session, *, questionnaire_id: int, edition_id: int | None = None) -> int:
    """The edition's id when the questionnaire is one of its own; NotFoundError otherwise (another edition's)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    _questionnaire_row(session, questionnaire_id, edition)
    return edition


def get_questionnaire(
    session: Session, *, questionnaire_id: int | None = None, edition_id: int | None = None
) -> QuestionnaireInfo:
    """One of the edition's questionnaires with its sections and questions in order; by default its first active one."""
    row = _questionnaire_row(session, questionnaire_id, resolve_edition_id(session=session, edition_id=edition_id))
    return _info(session, row)


def _info(session: Session, row: Questionnaire) -> QuestionnaireInfo:
    assert row.id is not None
    sections = session.exec(
        select(QuestionnaireSection)
        .where(QuestionnaireSection.questionnaire_id == row.id)
        .order_by(col(QuestionnaireSection.position), col(QuestionnaireSection.id))
    ).all()
    questions = session.exec(
        select(Question).where(Question.questionnaire_id == row.id).order_by(col(Question.position), col(Question.id))
    ).all()
    by_section: dict[int | None, list[Question]] = {}
    for q in questions:
        by_section.setdefault(q.section_id, []).append(q)
    infos = tuple(
        SectionInfo(
            id=s.id or 0,
            title=s.title,
            position=s.position,
            theme_id=s.theme_id,
            questions=tuple(
                QuestionInfo(
                    id=q.id or 0,
                    code=q.code,
                    text=q.text,
                    qtype=q.qtype,
                    choices=tuple(q.choices or ()),
                    required=q.required,
                    position=q.position,
                    section_id=q.section_id,
                    theme_id=s.theme_id,
                )
                for q in by_section.get(s.id, [])
            ),
        )
        for s in sections
    )
    return QuestionnaireInfo(row.id, row.edition_id, row.slug, row.title, row.description, row.active, infos)


def find_questionnaire(session: Session, *, name: str, edition_id: int | None = None) -> QuestionnaireInfo:
    """One of the edition's questionnaires named by its slug or its title (case and accents ignored), as typed on a
    command line."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    wanted = fold((name or "").strip())
    rows = session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition).order_by(col(Questionnaire.id))
    ).all()
    for row in rows:
        if wanted in (fold(row.slug), fold(row.title)):
            return _info(session, row)
    known = ", ".join(row.slug for row in rows) or "aucun"
    raise NotFoundError(
        f"aucun questionnaire de cette édition ne s'appelle « {name} » (indiquez son identifiant court, son slug : "
        f"{known})"
    )


# ---------------------------------------------------------------------------------------------
# Where respondents come from: the edition's Région's départements, or « hors région ».


UNKNOWN_DEPARTEMENT = "Département inconnu."
OUTSIDE = "HORS"  # the reference code of « Hors région » (db.reference), the one choice outside the Région


@dataclass(frozen=True)
class DepartementScope:
    """The départements an edition's respondents choose from, and why any other is refused."""

    region_name: str
    allowed: dict[str, str]  # code → name: the Région's départements, then « HORS »
    elsewhere: dict[str, tuple[str, str]]  # the other Régions' départements: code → (name, its Région's name)

    @property
    def outside(self) -> str | None:
        """The code of « Hors région », when the store has it."""
        return OUTSIDE if OUTSIDE in self.allowed else None

    def refusal(self, code: str) -> str:
        """Why `code` (a real département, or an overseas collectivity) is not accepted for this edition, in French,
        without a final full stop (the import's reasons have none; the form adds it)."""
        region = f"la Région {self.region_name}" if self.region_name else "la Région de cette édition"
        text = f"{code} n'est pas un département de {region}"
        if code in self.elsewhere:
            name, its_region = self.elsewhere[code]
            text += f" ({name}, Région {its_region})" if its_region else f" ({name})"
        if self.outside:
            text += f" ; une structure d'une autre région se classe « {self.allowed[OUTSIDE]} »"
        return text

    def filed_outside(self, code: str) -> str:
        """The import's remark on a real département of another Région, kept and filed as « Hors région »."""
        region = f"la Région {self.region_name}" if self.region_name else "la Région de cette édition"
        text = f"{code}"
        if code in self.elsewhere:
            name, its_region = self.elsewhere[code]
            text += f" ({name}, Région {its_region})" if its_region else f" ({name})"
        return f"{text} n'est pas un département de {region} : classé « {self.allowed.get(OUTSIDE, OUTSIDE)} »"


def departement_scope(session: Session, *, edition_id: int | None = None) -> DepartementScope:
    """The edition's Région's départements and « HORS » (as services.reference lists them), with the Région's name."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Edition, edition)
    region = geo.region_name(row.region_code) if row is not None else ""
    allowed = dict(list_departements(session=session, edition_id=edition))
    elsewhere = {
        d.code: (d.name, geo.region_name(d.region_code or ""))
        for d in session.exec(select(Departement)).all()
        if d.code not in allowed
    }
    return DepartementScope(region, allowed, elsewhere)


# ---------------------------------------------------------------------------------------------
# Answers: one checker per question type, shared by the online form and the import.

AnswerValue = str | int | list[str]
YES, NO = "oui", "non"
YESNO_LABELS = {YES: "Oui", NO: "Non"}
SCALE_VALUES = (1, 2, 3, 4, 5)
# An open answer becomes a contribution: the same limits apply to it.
OPEN_MIN_CHARS = BODY_MIN_CHARS
OPEN_MAX_CHARS = BODY_MAX_CHARS


class ResponseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ResponseOrigin(StrEnum):
    ONLINE = "online"
    IMPORT = "import"


def is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def check_answer(question: QuestionInfo, raw: object) -> tuple[AnswerValue | None, str | None]:
    """(clean value or None when unanswered, French error or None) for what a form sent for one question."""
    if is_blank(raw):
        return None, ("Cette question est obligatoire." if question.required else None)
    if question.qtype == QuestionType.OPEN:
        text, problem = check_text(
            str(raw), label="Votre réponse", min_chars=OPEN_MIN_CHARS, max_chars=OPEN_MAX_CHARS, required=False
        )
        return (None, problem) if problem else (text, None)
    if question.qtype == QuestionType.SINGLE:
        return (str(raw), None) if raw in question.choices else (None, "Choisissez l'une des réponses proposées.")
    if question.qtype == QuestionType.MULTIPLE:
        picked = list(raw) if isinstance(raw, list | tuple) else [raw]
        if any(p not in question.choices for p in picked):
            return None, "Choisissez parmi les réponses proposées."
        # Stored in the questionnaire's order, without repeats: the same answer always looks the same.
        return [c for c in question.choices if c in picked], None
    if question.qtype == QuestionType.SCALE:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            return None, "Choisissez une note de 1 à 5."
        try:
            number = float(raw)
        except ValueError:
            return None, "Choisissez une note de 1 à 5."
        if not number.is_integer() or int(number) not in SCALE_VALUES:
            return None, "Choisissez une note de 1 à 5."
        return int(number), None
    if question.qtype == QuestionType.YESNO:
        return (str(raw), None) if raw in (YES, NO) else (None, "Répondez par oui ou par non.")
    return None, "Type de question inconnu."


def answer_columns(question: QuestionInfo, value: AnswerValue) -> dict[str, Any]:
    """The Answer columns holding `value`: numbers for scales, a list for multiple choices, text otherwise."""
    if question.qtype == QuestionType.SCALE:
        return {"value_text": None, "value_number": float(value), "value_choices": None}  # type: ignore[arg-type]
    if question.qtype == QuestionType.MULTIPLE:
        return {"value_text": None, "value_number": None, "value_choices": list(value)}  # type: ignore[arg-type]
    return {"value_text": str(value), "value_number": None, "value_choices": None}


def _answer_value(question: QuestionInfo, answer: Answer) -> AnswerValue | None:
    if question.qtype == QuestionType.SCALE:
        return int(answer.value_number) if answer.value_number is not None else None
    if question.qtype == QuestionType.MULTIPLE:
        return list(answer.value_choices or [])
    return answer.value_text


def display_answer(question: QuestionInfo, value: AnswerValue | None) -> str:
    """An answer as a person reads it (exports, previews)."""
    if value is None:
        return ""
    if question.qtype == QuestionType.MULTIPLE and isinstance(value, list):
        return " ; ".join(value)
    if question.qtype == QuestionType.YESNO:
        return YESNO_LABELS.get(str(value), str(value))
    return str(value)


def contribution_key(questionnaire_id: int, fingerprint: str, question_code: str) -> str:
    """The idempotency key of the contribution made from one answer: a second import or send finds the first."""
    digest = hashlib.sha256(f"{questionnaire_id}\n{fingerprint}\n{question_code}".encode()).hexdigest()
    return f"qr-{digest[:40]}"


# ---------------------------------------------------------------------------------------------
# Who answers: optional, like every personal field in the app.

EMAIL_MAX_CHARS = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Respondent:
    organisation: str = ""
    actor_type: str | None = None
    departement: str | None = None
    respondent_name: str = ""
    email: str = ""


def check_respondent(
    session: Session, *, respondent: Respondent, edition_id: int | None = None
) -> tuple[Respondent, dict[str, str]]:
    """The cleaned respondent fields and a French message per refused field; the département is one of the
    edition's Région's, or « hors région »."""
    name, organisation, author_errors = check_author_fields(
        session=session,
        name=respondent.respondent_name,
        organisation=respondent.organisation,
        actor_type=respondent.actor_type,
        departement=None,  # checked below, with the reason naming both Régions
        edition_id=edition_id,
    )
    errors = {("respondent_name" if k == "name" else k): v for k, v in author_errors.items()}
    if respondent.departement is not None:
        departements = departement_scope(session=session, edition_id=edition_id)
        if respondent.departement not in departements.allowed:
            known = respondent.departement in departements.elsewhere
            errors["departement"] = departements.refusal(respondent.departement) + "." if known else UNKNOWN_DEPARTEMENT
    email, problem = check_text(
        respondent.email, label="L'adresse électronique", max_chars=EMAIL_MAX_CHARS, required=False
    )
    if problem:
        errors["email"] = problem
    elif email and not _EMAIL.match(email):
        errors["email"] = "L'adresse électronique n'a pas la forme nom@domaine.fr."
    clean = Respondent(organisation, respondent.actor_type, respondent.departement, name, email)
    return clean, errors


# ---------------------------------------------------------------------------------------------
# Answering online: a draft saved at every step, found again with its resume code, then sent.

RESUME_CODE_LENGTH = 12  # 25^12 ≈ 6·10^16: a draft may hold a name or an e-mail, so not guessable
DRAFT_RETENTION_DAYS = 60  # said in the privacy notice: drafts never sent are deleted after this


@dataclass(frozen=True)
class DraftState:
    questionnaire_id: int
    resume_code: str
    status: str
    answers: dict[str, AnswerValue]
    respondent: Respondent
    updated_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True)
class ContributionMade:
    question_code: str
    receipt_code: str


@dataclass(frozen=True)
class ResponseReceipt:
    resume_code: str
    submitted_at: datetime
    answered: int
    contributions: tuple[ContributionMade, ...]
    duplicate: bool = False


UNKNOWN_CODE = "Ce code de reprise ne correspond à aucun brouillon : vérifiez-le."


def _draft_row(session: Session, resume_code: str, edition_id: int) -> QuestionnaireResponse | None:
    """The response behind a resume code, if it answers one of the edition's questionnaires."""
    code = normalise_code(resume_code)
    if len(code.replace("-", "")) != RESUME_CODE_LENGTH:
        return None
    return session.exec(
        select(QuestionnaireResponse)
        .join(Questionnaire, col(Questionnaire.id) == col(QuestionnaireResponse.questionnaire_id))
        .where(QuestionnaireResponse.resume_code == code, Questionnaire.edition_id == edition_id)
    ).first()


def _check_values(
    questions: list[QuestionInfo], answers: dict[str, object], *, enforce_required: bool
) -> tuple[dict[str, AnswerValue | None], dict[str, str]]:
    clean: dict[str, AnswerValue | None] = {}
    errors: dict[str, str] = {}
    for q in questions:
        if q.code not in answers and not enforce_required:
            continue
        value, problem = check_answer(q, answers.get(q.code))
        if problem and (enforce_required or not is_blank(answers.get(q.code))):
            errors[q.code] = problem
        else:
            clean[q.code] = value
    return clean, errors


def check_section(questionnaire: QuestionnaireInfo, section_index: int, answers: dict[str, object]) -> dict[str, str]:
    """French messages per question code for one section, required questions included (the 'Suivant' check)."""
    questions = list(questionnaire.sections[section_index].questions)
    return _check_values(questions, answers, enforce_required=True)[1]


def _store_answers(
    session: Session, response_id: int, questionnaire: QuestionnaireInfo, clean: dict[str, AnswerValue | None]
) -> None:
    by_code = {q.code: q for q in questionnaire.questions}
    ids = [by_code[c].id for c in clean]
    existing = {
        a.question_id: a
        for a in session.exec(
            select(Answer).where(Answer.response_id == response_id, col(Answer.question_id).in_(ids))
        ).all()
    }
    for code, value in clean.items():
        question = by_code[code]
        row = existing.get(question.id)
        if value is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = Answer(response_id=response_id, question_id=question.id)
        for name, column_value in answer_columns(question, value).items():
            # A None bound to the JSON column is stored as the JSON text 'null': null() is SQL NULL.
            setattr(row, name, null() if column_value is None and name == "value_choices" else column_value)
        session.add(row)
    session.flush()


NEW_DRAFT_SCOPE = "questionnaire.new"
NEW_DRAFTS_HELD = (
    "Beaucoup de réponses commencent en même temps depuis votre réseau. Rien n'est perdu : vos réponses "
    "sont conservées, réessayez d'enregistrer dans {wait}."
)


def save_draft(
    session: Session,
    *,
    questionnaire_id: int,
    answers: dict[str, object],
    respondent: Respondent | None = None,
    resume_code: str | None = None,
    origin: throttle.Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> DraftState:
    """Keep what was typed so far (required questions not enforced); creates the draft and its resume code.

    A new draft from `origin` counts against that address's ceiling of new respondents (the same figures as
    new passports: one per person), since each sent draft turns its open answers into contributions. Only an
    open edition's questionnaire takes answers.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    questionnaire = get_questionnaire(session=session, questionnaire_id=questionnaire_id, edition_id=edition)
    require_open(session=session, edition_id=edition)
    if not questionnaire.active:
        raise ValidationError({"form": "Ce questionnaire est clos : il ne reçoit plus de réponses."})
    clean, errors = _check_values(questionnaire.questions, answers, enforce_required=False)
    clean_respondent = None
    if respondent is not None:
        clean_respondent, respondent_errors = check_respondent(
            session=session, respondent=respondent, edition_id=edition
        )
        errors.update(respondent_errors)
    if errors:
        raise ValidationError(errors)
    row = _draft_row(session, resume_code, edition) if resume_code else None
    if resume_code and (row is None or row.questionnaire_id != questionnaire.id):
        raise NotFoundError(UNKNOWN_CODE)
    if row is not None and row.status != ResponseStatus.DRAFT:
        raise ValidationError({"form": "Cette réponse a déjà été envoyée : elle ne peut plus être modifiée."})
    if row is None and origin is not None:
        throttle.take(
            session=session,
            scope=NEW_DRAFT_SCOPE,
            key=origin.key,
            windows=origin.new_passports,
            message=NEW_DRAFTS_HELD,
            now=now,
        )
    now = utcnow()
    if row is None:
        # Each new draft sweeps the abandoned ones: the notice's promise needs no scheduler.
        purge_stale_drafts(session=session)
        row = _new_draft(session, questionnaire_id, now)
    if clean_respondent is not None:
        row.organisation = clean_respondent.organisation
        row.actor_type = clean_respondent.actor_type
        row.departement = clean_respondent.departement
        row.respondent_name = clean_respondent.respondent_name
        row.email = clean_respondent.email
    row.updated_at = now
    session.add(row)
    session.flush()
    assert row.id is not None
    _store_answers(session, row.id, questionnaire, clean)
    state = _state(session, row, questionnaire)
    assert state is not None
    return state


def _new_draft(session: Session, questionnaire_id: int, now: datetime) -> QuestionnaireResponse:
    for _ in range(5):
        row = QuestionnaireResponse(
            questionnaire_id=questionnaire_id,
            origin=ResponseOrigin.ONLINE.value,
            # Online answers are never "the same response twice": a random fingerprint keys their contributions.
            fingerprint=uuid.uuid4().hex,
            resume_code=readable_code(RESUME_CODE_LENGTH),
            status=ResponseStatus.DRAFT.value,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        return row
    raise RuntimeError("could not allocate a unique resume code")


def _state(session: Session, row: QuestionnaireResponse, questionnaire: QuestionnaireInfo) -> DraftState | None:
    by_id = {q.id: q for q in questionnaire.questions}
    answers: dict[str, AnswerValue] = {}
    for a in session.exec(select(Answer).where(Answer.response_id == row.id)).all():
        q = by_id.get(a.question_id)
        value = _answer_value(q, a) if q else None
        if q is not None and value is not None:
            answers[q.code] = value
    respondent = Respondent(row.organisation, row.actor_type, row.departement, row.respondent_name, row.email)
    return DraftState(
        questionnaire.id, row.resume_code or "", row.status, answers, respondent, row.updated_at, row.submitted_at
    )


def load_draft(session: Session, *, resume_code: str, edition_id: int | None = None) -> DraftState | None:
    """The draft (or the sent response) behind a resume code, or None for an unknown code or one of another
    edition's questionnaire."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = _draft_row(session, resume_code, edition)
    if row is None:
        return None
    return _state(
        session, row, get_questionnaire(session=session, questionnaire_id=row.questionnaire_id, edition_id=edition)
    )


def submit_response(
    session: Session,
    *,
    resume_code: str,
    answers: dict[str, object] | None = None,
    respondent: Respondent | None = None,
    edition_id: int | None = None,
) -> ResponseReceipt:
    """Send a draft of the edition's questionnaire: every rule checked, open answers turned into contributions of
    the edition's themes; sending twice changes nothing."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = _draft_row(session, resume_code, edition)
    if row is None or row.id is None:
        raise NotFoundError(UNKNOWN_CODE)
    questionnaire = get_questionnaire(session=session, questionnaire_id=row.questionnaire_id, edition_id=edition)
    if row.status == ResponseStatus.SUBMITTED:
        return _receipt(session, row, questionnaire, duplicate=True)
    require_open(session=session, edition_id=edition)
    if answers is not None or respondent is not None:
        save_draft(
            session=session,
            questionnaire_id=questionnaire.id,
            answers=answers or {},
            respondent=respondent,
            resume_code=row.resume_code,
            edition_id=edition,
        )
    state = _state(session, row, questionnaire)
    assert state is not None
    _, errors = _check_values(questionnaire.questions, dict(state.answers), enforce_required=True)
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    row.status = ResponseStatus.SUBMITTED.value
    row.submitted_at = now
    row.consent_at = now  # sent after the privacy notice shown on every step
    row.updated_at = now
    session.add(row)
    session.flush()
    for q in questionnaire.questions:
        value = state.answers.get(q.code)
        if q.qtype != QuestionType.OPEN or value is None or q.theme_id is None:
            continue
        submit_contribution(
            session=session,
            draft=ContributionDraft(
                theme_id=q.theme_id,
                body=str(value),
                source=Source.QUESTIONNAIRE.value,
                organisation=row.organisation,
                actor_type=row.actor_type,
                departement=row.departement,
                response_id=row.id,
                question_id=q.id,
                idempotency_key=contribution_key(questionnaire.id, row.fingerprint or "", q.code),
                created_at=now,
            ),
            edition_id=edition,
        )
    return _receipt(session, row, questionnaire, duplicate=False)


def _receipt(
    session: Session, row: QuestionnaireResponse, questionnaire: QuestionnaireInfo, *, duplicate: bool
) -> ResponseReceipt:
    codes = {q.id: q.code for q in questionnaire.questions}
    made = session.exec(
        select(Contribution.question_id, Contribution.receipt_code)
        .where(Contribution.response_id == row.id)
        .order_by(col(Contribution.id))
    ).all()
    answered = session.exec(select(func.count()).select_from(Answer).where(Answer.response_id == row.id)).one()
    assert row.submitted_at is not None
    return ResponseReceipt(
        row.resume_code or "",
        row.submitted_at,
        int(answered),
        tuple(ContributionMade(codes.get(qid or 0, ""), code) for qid, code in made),
        duplicate=duplicate,
    )


def purge_stale_drafts(session: Session, *, older_than_days: int = DRAFT_RETENTION_DAYS) -> int:
    """Delete drafts nobody touched for `older_than_days` days (they may hold a name or an e-mail).

    Every edition's at once: the privacy notice's promise does not depend on the edition a draft answers.
    """
    limit = utcnow() - timedelta(days=older_than_days)
    is_stale = (col(QuestionnaireResponse.status) == ResponseStatus.DRAFT.value) & (
        col(QuestionnaireResponse.updated_at) < limit
    )
    session.execute(delete(Answer).where(col(Answer.response_id).in_(select(QuestionnaireResponse.id).where(is_stale))))
    result = session.execute(delete(QuestionnaireResponse).where(is_stale))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Results: counted by the database (GROUP BY), whatever the number of responses.


@dataclass(frozen=True)
class ResultsFilter:
    actor_type: str | None = None
    departement: str | None = None


@dataclass(frozen=True)
class ResultsOverview:
    responses: int
    online: int
    imported: int
    drafts: int
    contributions: int


@dataclass(frozen=True)
class ChoiceCount:
    label: str
    count: int


@dataclass(frozen=True)
class QuestionResult:
    question: QuestionInfo
    section_title: str
    answered: int  # responses (within the filter) that answered this question
    counts: tuple[ChoiceCount, ...]  # closed questions: every choice, zeros included, in the questionnaire's order
    mean: float | None  # scales only


def _sent(questionnaire_id: int, filters: ResultsFilter) -> list[Any]:
    conditions: list[Any] = [
        QuestionnaireResponse.questionnaire_id == questionnaire_id,
        QuestionnaireResponse.status == ResponseStatus.SUBMITTED,
    ]
    if filters.actor_type:
        conditions.append(QuestionnaireResponse.actor_type == filters.actor_type)
    if filters.departement:
        conditions.append(QuestionnaireResponse.departement == filters.departement)
    return conditions


def results_overview(
    session: Session, *, questionnaire_id: int, filters: ResultsFilter | None = None, edition_id: int | None = None
) -> ResultsOverview:
    """How many responses to one of the edition's questionnaires were sent (online, imported), drafts still open,
    contributions made from them."""
    check_in_edition(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    filters = filters or ResultsFilter()
    by_origin = dict(
        session.exec(
            select(QuestionnaireResponse.origin, func.count())
            .where(*_sent(questionnaire_id, filters))
            .group_by(col(QuestionnaireResponse.origin))
        ).all()
    )
    drafts = session.exec(
        select(func.count())
        .select_from(QuestionnaireResponse)
        .where(
            QuestionnaireResponse.questionnaire_id == questionnaire_id,
            QuestionnaireResponse.status == ResponseStatus.DRAFT,
        )
    ).one()
    contributions = session.exec(
        select(func.count())
        .select_from(Contribution)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Contribution.response_id))
        .where(*_sent(questionnaire_id, filters))
    ).one()
    online = int(by_origin.get(ResponseOrigin.ONLINE.value, 0))
    imported = int(by_origin.get(ResponseOrigin.IMPORT.value, 0))
    return ResultsOverview(online + imported, online, imported, int(drafts), int(contributions))


def _choice_counts(session: Session, question_ids: list[int], conditions: list[Any]) -> dict[tuple[int, str], int]:
    """Counts of each chosen option of multiple-choice questions, unnested by the database's JSON functions."""
    if not question_ids:
        return {}
    if session.get_bind().dialect.name == "sqlite":
        element = func.json_each(Answer.value_choices).table_valued("value").alias("choice")
    else:  # PostgreSQL names a set-returning function's column after its alias unless told: choice(value)
        element = (
            func.json_array_elements_text(Answer.value_choices).table_valued("value").render_derived(name="choice")
        )
    rows = session.exec(
        select(Answer.question_id, element.c.value, func.count())
        .select_from(Answer)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .join(element, true())
        .where(col(Answer.question_id).in_(question_ids), *conditions)
        .group_by(col(Answer.question_id), element.c.value)
    ).all()
    return {(int(qid), str(value)): int(n) for qid, value, n in rows}


def question_results(
    session: Session, *, questionnaire_id: int, filters: ResultsFilter | None = None, edition_id: int | None = None
) -> list[QuestionResult]:
    """Per question of one of the edition's questionnaires: how many answered, and for closed questions the count
    of each choice (and the mean of scales)."""
    filters = filters or ResultsFilter()
    questionnaire = get_questionnaire(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    conditions = _sent(questionnaire_id, filters)
    answered = dict(
        session.exec(
            select(Answer.question_id, func.count())
            .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
            .where(*conditions)
            .group_by(col(Answer.question_id))
        ).all()
    )
    text_counts = dict(
        ((int(qid), str(value)), int(n))
        for qid, value, n in session.exec(
            select(Answer.question_id, Answer.value_text, func.count())
            .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
            .join(Question, col(Question.id) == col(Answer.question_id))
            .where(*conditions, col(Question.qtype).in_([QuestionType.SINGLE.value, QuestionType.YESNO.value]))
            .group_by(col(Answer.question_id), col(Answer.value_text))
        ).all()
    )
    number_counts: dict[tuple[int, int], int] = {}
    sums: dict[int, float] = {}
    for qid, value, n in session.exec(
        select(Answer.question_id, Answer.value_number, func.count())
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .where(*conditions, col(Answer.value_number).is_not(None))
        .group_by(col(Answer.question_id), col(Answer.value_number))
    ).all():
        if value is None:
            continue
        number_counts[(int(qid), int(value))] = int(n)
        sums[int(qid)] = sums.get(int(qid), 0.0) + float(value) * int(n)
    multiple_ids = [q.id for q in questionnaire.questions if q.qtype == QuestionType.MULTIPLE]
    choice_counts = _choice_counts(session, multiple_ids, conditions)

    results: list[QuestionResult] = []
    for section in questionnaire.sections:
        for q in section.questions:
            total = int(answered.get(q.id, 0))
            counts: tuple[ChoiceCount, ...] = ()
            mean = None
            if q.qtype == QuestionType.SINGLE:
                counts = tuple(ChoiceCount(c, text_counts.get((q.id, c), 0)) for c in q.choices)
            elif q.qtype == QuestionType.YESNO:
                counts = tuple(ChoiceCount(YESNO_LABELS[v], text_counts.get((q.id, v), 0)) for v in (YES, NO))
            elif q.qtype == QuestionType.MULTIPLE:
                counts = tuple(ChoiceCount(c, choice_counts.get((q.id, c), 0)) for c in q.choices)
            elif q.qtype == QuestionType.SCALE:
                counts = tuple(ChoiceCount(str(v), number_counts.get((q.id, v), 0)) for v in SCALE_VALUES)
                mean = sums[q.id] / total if total and q.id in sums else None
            results.append(QuestionResult(q, section.title, total, counts, mean))
    return results


@dataclass(frozen=True)
class OpenAnswer:
    text: str
    organisation: str
    actor_type: str | None
    departement: str | None
    submitted_at: datetime | None
    origin: str
    receipt_code: str | None  # the contribution made from it, if any
    contribution_status: str | None


def list_open_answers(
    session: Session,
    *,
    question_id: int,
    filters: ResultsFilter | None = None,
    limit: int = 200,
    edition_id: int | None = None,
) -> tuple[int, list[OpenAnswer]]:
    """(how many, the latest `limit`) open answers to one question of the edition's questionnaires, each with the
    contribution made from it."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    question = session.exec(
        select(Question)
        .join(Questionnaire, col(Questionnaire.id) == col(Question.questionnaire_id))
        .where(Question.id == question_id, Questionnaire.edition_id == edition)
    ).first()
    if question is None:
        raise NotFoundError("Cette question n'existe pas.")
    conditions = [*_sent(question.questionnaire_id, filters or ResultsFilter()), Answer.question_id == question_id]
    total = session.exec(
        select(func.count())
        .select_from(Answer)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .where(*conditions)
    ).one()
    rows = session.exec(
        select(Answer.value_text, QuestionnaireResponse, Contribution.receipt_code, Contribution.status)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .outerjoin(
            Contribution,
            (col(Contribution.response_id) == col(Answer.response_id))
            & (col(Contribution.question_id) == col(Answer.question_id)),
        )
        .where(*conditions)
        .order_by(col(QuestionnaireResponse.submitted_at).desc(), col(Answer.id).desc())
        .limit(limit)
    ).all()
    return int(total), [
        OpenAnswer(
            text=text or "",
            organisation=r.organisation,
            actor_type=r.actor_type,
            departement=r.departement,
            submitted_at=r.submitted_at,
            origin=r.origin,
            receipt_code=code,
            contribution_status=status,
        )
        for text, r, code, status in rows
    ]


def export_results_csv(
    session: Session, *, questionnaire_id: int, filters: ResultsFilter | None = None, edition_id: int | None = None
) -> bytes:
    """The counts of every closed question of one of the edition's questionnaires, one line per choice (CSV)."""
    rows: list[list[object]] = []
    results = question_results(
        session=session, questionnaire_id=questionnaire_id, filters=filters, edition_id=edition_id
    )
    for result in results:
        q = result.question
        for count in result.counts:
            share = round(100 * count.count / result.answered, 1) if result.answered else 0.0
            rows.append([q.code, q.text, count.label, count.count, str(share).replace(".", ","), result.answered])
        if q.qtype == QuestionType.OPEN:
            rows.append([q.code, q.text, "(réponses libres)", result.answered, "", result.answered])
    header = ["Code", "Question", "Réponse", "Nombre", "Part (%)", "Répondants à la question"]
    return csv_bytes(header, rows)


def export_responses_csv(
    session: Session, *, questionnaire_id: int, filters: ResultsFilter | None = None, edition_id: int | None = None
) -> bytes:
    """Every sent response to one of the edition's questionnaires, one line each, one column per question
    (personal fields left out)."""
    questionnaire = get_questionnaire(session=session, questionnaire_id=questionnaire_id, edition_id=edition_id)
    questions = questionnaire.questions
    by_id = {q.id: q for q in questions}
    conditions = _sent(questionnaire_id, filters or ResultsFilter())
    responses = session.exec(
        select(QuestionnaireResponse).where(*conditions).order_by(col(QuestionnaireResponse.submitted_at))
    ).all()
    values: dict[int, dict[str, str]] = {r.id or 0: {} for r in responses}
    for answer in session.exec(
        select(Answer)
        .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
        .where(*conditions)
    ).all():
        q = by_id.get(answer.question_id)
        if q is not None:
            values[answer.response_id][q.code] = display_answer(q, _answer_value(q, answer))
    header = ["Envoyée le", "Origine", "Organisation", "Type d'acteur", "Département", *[q.code for q in questions]]
    rows = (
        [
            format_datetime(r.submitted_at) if r.submitted_at else "",
            "En ligne" if r.origin == ResponseOrigin.ONLINE else "Import",
            r.organisation,
            label(ACTOR_TYPE_LABELS, r.actor_type, ""),
            r.departement or "",
            *[values[r.id or 0].get(q.code, "") for q in questions],
        ]
        for r in responses
    )
    return csv_bytes(header, rows)
