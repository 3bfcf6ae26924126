"""Removing an edition's demo day: every demo row and what hangs off it, nothing else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from models import (
    Answer,
    Contribution,
    ContributionGroupMember,
    ContributionSupport,
    ContributionTag,
    Orientation,
    OrientationLink,
    PaperBallot,
    Participant,
    Questionnaire,
    QuestionnaireResponse,
    StandVisit,
)
from services import votes
from services.demo.common import demo_edition
from services.scope import require_writable, theme_ids


def remove_demo(session: Session, *, edition_id: int | None = None) -> dict[str, int]:
    """Delete every demo row of an edition (and what hangs off it), leaving real data and other editions untouched."""
    edition = demo_edition(session, edition_id)
    assert edition.id is not None
    require_writable(session=session, edition_id=edition.id)
    ours = theme_ids(session=session, edition_id=edition.id)
    demo_contributions = select(Contribution.id).where(col(Contribution.is_demo), col(Contribution.theme_id).in_(ours))
    demo_responses = select(QuestionnaireResponse.id).where(
        col(QuestionnaireResponse.is_demo),
        col(QuestionnaireResponse.questionnaire_id).in_(
            select(Questionnaire.id).where(Questionnaire.edition_id == edition.id)
        ),
    )
    demo_participants = select(Participant.id).where(col(Participant.is_demo), Participant.edition_id == edition.id)
    removed: dict[str, int] = {}
    # Stances and paper ballots leave their rollups with them (services.votes), before their participants go.
    demo_voters = list(session.exec(demo_participants).all())
    removed["votes"] = votes.forget_votes(session=session, participant_ids=[p for p in demo_voters if p is not None])
    demo_paper = select(PaperBallot.id).where(
        col(PaperBallot.is_demo),
        col(PaperBallot.orientation_id).in_(select(Orientation.id).where(Orientation.edition_id == edition.id)),
    )
    removed["paper_ballots"] = votes.forget_paper_ballots(
        session=session, paper_ids=[p for p in session.exec(demo_paper).all() if p is not None]
    )
    steps: list[tuple[str, Any]] = [
        (
            "supports",
            delete(ContributionSupport).where(
                col(ContributionSupport.contribution_id).in_(demo_contributions)
                | col(ContributionSupport.participant_id).in_(demo_participants)
            ),
        ),
        ("tags", delete(ContributionTag).where(col(ContributionTag.contribution_id).in_(demo_contributions))),
        (
            "group_members",
            delete(ContributionGroupMember).where(col(ContributionGroupMember.contribution_id).in_(demo_contributions)),
        ),
        ("links", delete(OrientationLink).where(col(OrientationLink.contribution_id).in_(demo_contributions))),
        (
            "contributions",
            delete(Contribution).where(col(Contribution.is_demo), col(Contribution.theme_id).in_(ours)),
        ),
        ("answers", delete(Answer).where(col(Answer.response_id).in_(demo_responses))),
        ("responses", delete(QuestionnaireResponse).where(col(QuestionnaireResponse.id).in_(demo_responses))),
        ("visits", delete(StandVisit).where(col(StandVisit.participant_id).in_(demo_participants))),
        ("participants", delete(Participant).where(col(Participant.id).in_(demo_participants))),
    ]
    for name, stmt in steps:
        removed[name] = session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]
    return removed
