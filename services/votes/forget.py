"""Housekeeping: stances and paper ballots deleted for good (demo data removal), taken out of both rollups."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import OrientationVote, PaperBallot, VoteEvent, VoteOrigin, VoteTallyTime
from services.votes import rollups


def forget_votes(session: Session, *, participant_ids: Sequence[int]) -> int:
    """Delete these participants' stances and their events, taking them out of both rollups (demo data removal).

    The quarter-hour rollup is unwound event by event, in each event's own quarter hour, so the movement over
    the day reads as if these stances had never been given.
    """
    if not participant_ids:
        return 0
    ids = list(participant_ids)
    votes = session.exec(select(OrientationVote).where(col(OrientationVote.participant_id).in_(ids))).all()
    for vote in votes:
        rollups.add_tally(session, rollups.StanceKey.of_vote(vote), -1)
        session.delete(vote)
    events = session.exec(
        select(VoteEvent).where(col(VoteEvent.participant_id).in_(ids)).order_by(col(VoteEvent.id))
    ).all()
    last_origin: dict[tuple[int, int], str] = {}
    for event in events:
        pair = (event.participant_id or 0, event.orientation_id)
        bucket = rollups.bucket_of(event.created_at)
        if event.choice is not None:
            key = {"orientation_id": event.orientation_id, "bucket": bucket, "choice": event.choice}
            rollups.add(session, VoteTallyTime, key | {"origin": event.origin}, -event.count)
        if event.previous_choice is not None and pair in last_origin:
            key = {"orientation_id": event.orientation_id, "bucket": bucket, "choice": event.previous_choice}
            rollups.add(session, VoteTallyTime, key | {"origin": last_origin[pair]}, event.count)
        last_origin[pair] = event.origin
        session.delete(event)
    session.flush()
    return len(votes)


def forget_paper_ballots(session: Session, *, paper_ids: Sequence[int]) -> int:
    """Delete these paper ballots and their events, taking them out of both rollups (demo data removal)."""
    if not paper_ids:
        return 0
    ids = list(paper_ids)
    for event in session.exec(select(VoteEvent).where(col(VoteEvent.paper_ballot_id).in_(ids))).all():
        bucket = rollups.bucket_of(event.created_at)
        for choice, delta in ((event.choice, -event.count), (event.previous_choice, event.count)):
            if choice is not None:
                key = {"orientation_id": event.orientation_id, "bucket": bucket, "choice": choice}
                rollups.add(session, VoteTallyTime, key | {"origin": VoteOrigin.PAPER.value}, delta)
        session.delete(event)
    papers = session.exec(select(PaperBallot).where(col(PaperBallot.id).in_(ids))).all()
    for paper in papers:
        if paper.withdrawn_at is None:
            rollups.add_tally(session, rollups.StanceKey.of_paper(paper), -paper.count)
        session.delete(paper)
    session.flush()
    return len(papers)
