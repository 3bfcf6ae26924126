"""An edition side by side with the same Région's previous one: contributions, participants, questionnaire answers
per theme, and the room's stance on the orientations carried over.

Themes and orientations carried from one edition to the next keep their codes (a copy keeps them; a Région that
writes its pack by hand does the same to compare): a theme or an orientation is matched by its code, and one
that is new or was dropped has figures on one side only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from models import (
    Answer,
    Contribution,
    ModerationStatus,
    Orientation,
    Participant,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    QuestionnaireSection,
    Stand,
    StandVisit,
    Theme,
)
from services.editions import EditionInfo, get_edition, previous_edition

SUBMITTED = "submitted"


@dataclass(frozen=True)
class EditionFigures:
    contributions: int  # received, rejected ones excepted
    participants: int  # phones that contributed, supported or visited a stand
    responses: int  # questionnaire responses sent
    visits: int


@dataclass(frozen=True)
class ThemeRow:
    code: str
    label: str  # the current edition's label (the previous one's if the theme was dropped)
    contributions: tuple[int | None, int | None]  # (previous, current); None: the theme did not exist then
    responses: tuple[int | None, int | None]  # responses that answered the theme's section


@dataclass(frozen=True)
class StanceRow:
    code: str
    title: str
    previous: dict[str, int] = field(default_factory=dict)  # stance → contributions
    current: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    current: EditionInfo
    previous: EditionInfo | None
    figures: tuple[EditionFigures | None, EditionFigures]
    themes: list[ThemeRow]
    stances: list[StanceRow]


def _theme_ids(session: Session, edition_id: int) -> dict[str, tuple[int, str]]:
    rows = session.exec(
        select(Theme).where(Theme.edition_id == edition_id).order_by(col(Theme.position), col(Theme.id))
    ).all()
    return {t.code: (t.id or 0, t.label) for t in rows}


def _figures(session: Session, edition_id: int, theme_ids: list[int]) -> EditionFigures:
    counted = col(Contribution.theme_id).in_(theme_ids) & (Contribution.status != ModerationStatus.REJECTED.value)
    contributions = int(session.exec(select(func.count()).select_from(Contribution).where(counted)).one())
    visits = int(
        session.exec(
            select(func.count())
            .select_from(StandVisit)
            .join(Stand, col(Stand.id) == col(StandVisit.stand_id))
            .where(Stand.edition_id == edition_id)
        ).one()
    )
    participants = int(
        session.exec(select(func.count()).select_from(Participant).where(Participant.edition_id == edition_id)).one()
    )
    responses = int(
        session.exec(
            select(func.count())
            .select_from(QuestionnaireResponse)
            .join(Questionnaire, col(Questionnaire.id) == col(QuestionnaireResponse.questionnaire_id))
            .where(Questionnaire.edition_id == edition_id, QuestionnaireResponse.status == SUBMITTED)
        ).one()
    )
    return EditionFigures(contributions, participants, responses, visits)


def _per_theme(session: Session, theme_ids: list[int]) -> tuple[Counter[int], Counter[int]]:
    contributions: Counter[int] = Counter(
        dict(
            session.exec(  # type: ignore[arg-type]
                select(Contribution.theme_id, func.count())
                .where(
                    col(Contribution.theme_id).in_(theme_ids),
                    Contribution.status != ModerationStatus.REJECTED.value,
                )
                .group_by(col(Contribution.theme_id))
            ).all()
        )
    )
    responses: Counter[int] = Counter(
        dict(
            session.exec(  # type: ignore[arg-type]
                select(QuestionnaireSection.theme_id, func.count(distinct(col(Answer.response_id))))
                .join(Question, col(Question.section_id) == col(QuestionnaireSection.id))
                .join(Answer, col(Answer.question_id) == col(Question.id))
                .join(QuestionnaireResponse, col(QuestionnaireResponse.id) == col(Answer.response_id))
                .where(
                    col(QuestionnaireSection.theme_id).in_(theme_ids),
                    QuestionnaireResponse.status == SUBMITTED,
                )
                .group_by(col(QuestionnaireSection.theme_id))
            ).all()
        )
    )
    return contributions, responses


def _stances(session: Session, edition_id: int) -> dict[str, tuple[str, Counter[str]]]:
    """Orientation code → (title, stance → contributions), rejected contributions excepted."""
    rows = session.exec(
        select(Orientation.code, Orientation.title, Contribution.stance, func.count())
        .join(Contribution, col(Contribution.orientation_id) == col(Orientation.id))
        .where(
            Orientation.edition_id == edition_id,
            col(Contribution.stance).is_not(None),
            Contribution.status != ModerationStatus.REJECTED.value,
        )
        .group_by(col(Orientation.code), col(Orientation.title), col(Contribution.stance))
    ).all()
    out: dict[str, tuple[str, Counter[str]]] = {}
    for code, title, stance, n in rows:
        out.setdefault(code, (title, Counter()))[1][str(stance)] += int(n)
    return out


def compare_with_previous(session: Session, *, edition_id: int) -> Comparison:
    """This edition and the same Région's previous one, side by side (only this one if it is the first)."""
    current = get_edition(session=session, edition_id=edition_id)
    previous = previous_edition(session=session, edition_id=edition_id)
    now_themes = _theme_ids(session, current.id)
    now_figures = _figures(session, current.id, [i for i, _ in now_themes.values()])
    now_contrib, now_resp = _per_theme(session, [i for i, _ in now_themes.values()])
    before_themes: dict[str, tuple[int, str]] = {}
    before_figures = None
    before_contrib: Counter[int] = Counter()
    before_resp: Counter[int] = Counter()
    if previous is not None:
        before_themes = _theme_ids(session, previous.id)
        before_figures = _figures(session, previous.id, [i for i, _ in before_themes.values()])
        before_contrib, before_resp = _per_theme(session, [i for i, _ in before_themes.values()])

    themes: list[ThemeRow] = []
    for code in [*now_themes, *(c for c in before_themes if c not in now_themes)]:
        now = now_themes.get(code)
        before = before_themes.get(code)
        themes.append(
            ThemeRow(
                code=code,
                label=(now or before or (0, code))[1],
                contributions=(
                    before_contrib.get(before[0], 0) if before else None,
                    now_contrib.get(now[0], 0) if now else None,
                ),
                responses=(
                    before_resp.get(before[0], 0) if before else None,
                    now_resp.get(now[0], 0) if now else None,
                ),
            )
        )

    now_stances = _stances(session, current.id)
    before_stances = _stances(session, previous.id) if previous is not None else {}
    stances = [
        StanceRow(code, now_stances[code][0], dict(before_stances[code][1]), dict(now_stances[code][1]))
        for code in sorted(now_stances.keys() & before_stances.keys())
    ]
    return Comparison(current, previous, (before_figures, now_figures), themes, stances)
