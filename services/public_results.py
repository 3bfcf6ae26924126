"""An edition's results as the public reads them (no login): participation figures, the orientations with the
room's stances and their published supporting contributions, and, once published, the strategy with its sources.

Only published contributions ever appear here, as published (the masked copy, services.published), quoted
through the personal-data detector once more like the strategy document's quotes. Counts are counts: they
include contributions awaiting moderation (rejected ones left out), never their text. The page and the open-data
files (services.open_data) are both built from one `PublicResults`, so they cannot say different things.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Contribution, Orientation, Participant, Questionnaire, QuestionnaireResponse, Theme
from services import drafting, publication, tallies
from services.drafting import StanceFigures
from services.editions import get_edition
from services.labels import ORIENTATION_STATUS_LABELS, SOURCE_LABELS, label
from services.moderation import mask_personal_data
from services.published import PUBLISHED, published_text, published_title
from services.tallies import TallyFilter
from services.verdict import vote_version

QUOTES_PER_ORIENTATION = 3
QUOTE_MAX_CHARS = 280
# Every published contribution is in the open data; the page shows at most this many per orientation.
SUPPORTING_ON_PAGE = 5


def quote(text: str) -> str:
    """A published text as quoted to the public: masked once more, on one line, at most QUOTE_MAX_CHARS."""
    text = " ".join(mask_personal_data(text).split())
    return text if len(text) <= QUOTE_MAX_CHARS else text[: QUOTE_MAX_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class ThemeCount:
    number: int
    label: str
    received: int  # published + awaiting moderation (rejected left out)
    published: int


@dataclass(frozen=True)
class PublicOrientation:
    orientation_id: int
    code: str
    theme_label: str
    title: str
    status: str
    status_label: str
    stances: StanceFigures | None  # None: not put to the participants' vote
    stance_sentence: str
    supporting: list[str]  # published contributions behind it, as quoted
    sources_by_origin: dict[str, int] = field(default_factory=dict)  # every counted source, by origin label
    body: str = ""  # the strategy's paragraph: only once the strategy is published


@dataclass(frozen=True)
class PublishedContribution:
    """One published contribution as the open data gives it: no device, no participant, no receipt code."""

    contribution_id: int
    date: str  # ISO day of sending
    theme_label: str
    origin: str
    orientation_code: str
    title: str
    text: str
    author: str  # a name or an organisation only when its author chose to appear


@dataclass(frozen=True)
class PublicResults:
    edition_id: int
    edition_name: str
    region_name: str
    published_at: datetime | None  # None: not public (a staff preview)
    strategy_public: bool
    by_theme: list[ThemeCount]
    by_origin: dict[str, int]  # origin label → contributions received
    contributions: int
    participants: int
    stands_visited: int
    stand_visits: int
    questionnaire_responses: int
    orientations: list[PublicOrientation]
    published_count: int
    # Every published contribution, for the open data; empty when built for the page (`with_texts=False`).
    published_contributions: list[PublishedContribution]


def _questionnaire_responses(session: Session, edition_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(QuestionnaireResponse)
            .join(Questionnaire, col(Questionnaire.id) == col(QuestionnaireResponse.questionnaire_id))
            .where(Questionnaire.edition_id == edition_id, col(QuestionnaireResponse.submitted_at).is_not(None))
        ).one()
    )


def _participants(session: Session, edition_id: int) -> int:
    return int(
        session.exec(select(func.count()).select_from(Participant).where(Participant.edition_id == edition_id)).one()
    )


def _author(c: Contribution) -> str:
    if c.personal_data_erased_at is not None:
        return ""
    if c.display_mode == "name":
        return c.author_name
    if c.display_mode == "organisation":
        return c.organisation
    return ""


def _published_contributions(session: Session, themes: dict[int, str]) -> list[PublishedContribution]:
    rows = session.exec(
        select(Contribution, published_text(), Orientation.code)
        .outerjoin(Orientation, col(Orientation.id) == col(Contribution.orientation_id))
        .where(col(Contribution.theme_id).in_(list(themes)), col(Contribution.status) == PUBLISHED)
        .order_by(col(Contribution.created_at), col(Contribution.id))
    ).all()
    return [
        PublishedContribution(
            c.id or 0,
            c.created_at.date().isoformat(),
            themes.get(c.theme_id or 0, ""),
            label(SOURCE_LABELS, c.source),
            code or "",
            published_title(c.title),
            " ".join(mask_personal_data(text).split()),
            _author(c),
        )
        for c, text, code in rows
    ]


def _orientations(
    session: Session, edition_id: int, themes: dict[int, str], strategy_public: bool
) -> list[PublicOrientation]:
    rows = session.exec(
        select(Orientation)
        .where(Orientation.edition_id == edition_id)
        .order_by(col(Orientation.position), col(Orientation.id))
    ).all()
    order = {tid: i for i, tid in enumerate(themes)}
    rows = sorted(rows, key=lambda o: order.get(o.theme_id, len(order)))
    sources = drafting.orientation_sources_many(
        session=session, orientation_ids=[o.id or 0 for o in rows], edition_id=edition_id
    )
    stances = drafting.stance_figures(session=session, edition_id=edition_id)
    out = []
    for o in rows:
        behind = sources.get(o.id or 0, [])
        published = [r for r in behind if r.status == PUBLISHED]
        by_origin = Counter(label(SOURCE_LABELS, r.source) for r in behind)
        figures = stances.get(o.id or 0)
        out.append(
            PublicOrientation(
                o.id or 0,
                o.code,
                themes.get(o.theme_id, ""),
                o.title,
                o.status,
                label(ORIENTATION_STATUS_LABELS, o.status),
                figures,
                drafting.stance_sentence(figures),
                list(dict.fromkeys(quote(r.text) for r in published)),
                dict(by_origin.most_common()),
                o.body if strategy_public else "",
            )
        )
    return out


def _published_count(session: Session, themes: dict[int, str]) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Contribution)
            .where(col(Contribution.theme_id).in_(list(themes)), col(Contribution.status) == PUBLISHED)
        ).one()
    )


def build_public_results(session: Session, *, edition_id: int, with_texts: bool = True) -> PublicResults:
    """Everything the public results page and the open data show of the edition (whether public or not).

    `with_texts=False` (the page): every published contribution is counted but not read, only the few quoted
    under each orientation; the open data reads them all.
    """
    edition = get_edition(session=session, edition_id=edition_id)
    state = publication.publication_state(session, edition_id=edition_id)
    themes: dict[int, str] = {
        tid or 0: text
        for tid, text in session.exec(
            select(Theme.id, Theme.label).where(Theme.edition_id == edition_id).order_by(col(Theme.position))
        ).all()
    }
    everything = TallyFilter()
    by_theme_frame = tallies.theme_tallies(session=session, filters=everything, edition_id=edition_id)
    by_theme = [
        ThemeCount(number, themes.get(int(tid), ""), int(total), int(published))
        for number, (tid, total, published) in enumerate(
            zip(by_theme_frame["theme_id"], by_theme_frame["total"], by_theme_frame["published"], strict=True),
            start=1,
        )
    ]
    by_source = tallies.source_tallies(session=session, filters=everything, edition_id=edition_id)
    origins: Counter[str] = Counter()
    for key, count in zip(by_source["key"], by_source["count"], strict=True):
        origins[label(SOURCE_LABELS, str(key))] += int(count)
    by_origin = dict(origins.most_common())
    circuit = tallies.circuit_summary(session=session, filters=everything, edition_id=edition_id)
    return PublicResults(
        edition_id=edition_id,
        edition_name=edition.name,
        region_name=edition.region_name,
        published_at=state.results_published_at,
        strategy_public=state.strategy,
        by_theme=by_theme,
        by_origin=by_origin,
        contributions=sum(t.received for t in by_theme),
        participants=_participants(session, edition_id),
        stands_visited=circuit.stands_visited,
        stand_visits=circuit.visits,
        questionnaire_responses=_questionnaire_responses(session, edition_id),
        orientations=_orientations(session, edition_id, themes, state.strategy),
        published_count=_published_count(session, themes),
        published_contributions=_published_contributions(session, themes) if with_texts else [],
    )


def public_version(session: Session, *, edition_id: int) -> tuple[object, ...]:
    """What the public page's shared cache is keyed by: changes whenever anything it shows may have changed.

    New rows (contribution and visit ids), moderation and edits (the newest contribution change), stances (the
    vote's version), the orientations' edits and the publication switches: a few indexed lookups.
    """
    version = tallies.data_version(session)
    latest_change = session.exec(select(func.max(Contribution.updated_at))).one()
    orientations = session.exec(
        select(func.max(Orientation.updated_at), func.count()).where(Orientation.edition_id == edition_id)
    ).one()
    state = publication.publication_state(session, edition_id=edition_id)
    return (
        version,
        latest_change,
        vote_version(session),
        tuple(orientations),
        state.results_published_at,
        state.strategy_published_at,
    )
