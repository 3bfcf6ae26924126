"""A questionnaire's definition: checked and loaded from the edition's pack, and read back as plain frozen objects.

Every function that finds a questionnaire takes the edition asked (`edition_id`, None for the default one) and treats
a questionnaire of another edition as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

import models
from models import Question, Questionnaire, QuestionnaireSection, QuestionType, Theme
from services.errors import NotFoundError, ValidationError
from services.scope import resolve_edition_id
from services.text import fold


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


def _checked_existing(session: Session, edition_id: int, data: dict[str, Any]) -> Questionnaire | None:
    """The edition's questionnaire of the definition's slug, if any, once the definition is checked
    (ValidationError listing its problems otherwise)."""
    problems = check_definition(data)
    if problems:
        raise ValidationError({"file": "Questionnaire : " + " ; ".join(problems)})
    return session.exec(
        select(Questionnaire).where(Questionnaire.edition_id == edition_id, Questionnaire.slug == data["slug"])
    ).first()


def load_questionnaire_definition(session: Session, *, edition_id: int, data: dict[str, Any]) -> tuple[int, bool]:
    """Create an edition's questionnaire from its definition (a pack's `questionnaire`) unless its slug exists
    in that edition; (id, created)."""
    existing = _checked_existing(session, edition_id, data)
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
    for model in (models.QuestionnaireResponse, models.ImportBatch, models.ImportMapping):
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
    existing = _checked_existing(session, edition_id, data)
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


NOT_FOUND = "Ce questionnaire n'existe pas ou n'est plus ouvert."


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
            questions=tuple(_question_info(q, s.theme_id) for q in by_section.get(s.id, [])),
        )
        for s in sections
    )
    return QuestionnaireInfo(row.id, row.edition_id, row.slug, row.title, row.description, row.active, infos)


def _question_info(q: Question, theme_id: int | None) -> QuestionInfo:
    """A question row as pages see it, with its section's theme (fields in QuestionInfo's order)."""
    return QuestionInfo(
        q.id or 0, q.code, q.text, q.qtype, tuple(q.choices or ()), q.required, q.position, q.section_id, theme_id
    )


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
