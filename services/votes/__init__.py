"""The adequacy check: each participant's stance on every proposed orientation, in one tap each, and the verdict.

A device (no account: its token, as for contributions) gives one stance per orientation, changeable while the
vote is open: « D'accord », « D'accord avec réserves », « Pas d'accord », « Je ne sais pas / passer ». Staff add
paper ballots as counts. Every change is written with its event and applied to the rollups (models/vote.py) in
the same transaction, so the live pages read a few hundred rollup rows, never the stance rows:
- a tap that repeats the stance already stored changes nothing (a flaky reconnect that sends it again is not
  counted twice); a new stance adds one, a changed one moves one from the old stance to the new;
- concurrent taps of the same phone on the same orientation are serialised by the unique pair (and, on
  PostgreSQL, by a row lock), so the rollup never counts a stance that is not stored.

The modules: `ballot` (what is put to the vote, the switches), `casting` (one tap), `profile` (the voter's
description and the « pourquoi ? »), `paper` (paper ballots), `forget` (demo data removal), `rollups` (the
counts every writer keeps). Callers use the names re-exported here (`votes.cast_vote`), which is also where
tests patch them. services/verdict.py reads the rollups into the room's verdict on each orientation.

Honest numbers: a device is a browser's cookie. A participant who clears it and votes again counts twice; the
live page says so and shows the new devices per minute, where a burst is visible.
"""

from models import VoteChoice, VoteOrigin
from services.votes.ballot import (
    CHOICES,
    CONTRIBUTION_STANCE,
    DEVICE_ORIGINS,
    ORIGINS,
    UNKNOWN_CHOICE,
    UNKNOWN_ORIENTATION,
    UNKNOWN_ORIGIN,
    VOTE_CLOSED,
    BallotItem,
    VoteSettings,
    ballot,
    on_ballot,
    set_vote_open,
    vote_settings,
)
from services.votes.casting import STANCE_SCOPE, STANCES_HELD, VoteReceipt, cast_vote, my_votes
from services.votes.forget import forget_paper_ballots, forget_votes
from services.votes.paper import (
    PAPER_EMPTY,
    PAPER_MAX_COUNT,
    PAPER_SOURCE,
    PAPER_SOURCE_MAX_CHARS,
    PaperEntry,
    PaperLine,
    enter_paper_ballots,
    list_paper_entries,
    new_paper_batch,
    withdraw_paper_entry,
)
from services.votes.profile import NO_STANCE_YET, VoterProfile, explain_vote, set_voter_profile, voter_profile
from services.votes.rollups import TIME_BUCKET_S

__all__ = [
    "CHOICES",
    "CONTRIBUTION_STANCE",
    "DEVICE_ORIGINS",
    "NO_STANCE_YET",
    "ORIGINS",
    "PAPER_EMPTY",
    "PAPER_MAX_COUNT",
    "PAPER_SOURCE",
    "PAPER_SOURCE_MAX_CHARS",
    "STANCES_HELD",
    "STANCE_SCOPE",
    "TIME_BUCKET_S",
    "UNKNOWN_CHOICE",
    "UNKNOWN_ORIENTATION",
    "UNKNOWN_ORIGIN",
    "VOTE_CLOSED",
    "BallotItem",
    "PaperEntry",
    "PaperLine",
    "VoteChoice",
    "VoteOrigin",
    "VoteReceipt",
    "VoteSettings",
    "VoterProfile",
    "ballot",
    "cast_vote",
    "enter_paper_ballots",
    "explain_vote",
    "forget_paper_ballots",
    "forget_votes",
    "list_paper_entries",
    "my_votes",
    "new_paper_batch",
    "on_ballot",
    "set_vote_open",
    "set_voter_profile",
    "vote_settings",
    "voter_profile",
    "withdraw_paper_entry",
]
