"""What the room said of each orientation (services/verdict.py), as the drafting page and the exports state it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models import VoteOrigin
from services.formatting import format_number, format_percent
from services.verdict import VERDICT_LABELS, Verdict, VerdictFilter, VerdictKind, verdict_by_orientation, verdicts

# A device is a browser's cookie: said once wherever the figures are read.
COOKIE_CAVEAT = (
    "Chaque avis est celui d'un téléphone (un cookie du navigateur) : une personne qui efface ses cookies et "
    "vote de nouveau compte deux fois. Les bulletins papier sont comptés tels que saisis par l'équipe."
)
NOT_ON_BALLOT = "Orientation non soumise à l'avis des participants."


@dataclass(frozen=True)
class StanceFigures:
    """One orientation's stances as the drafting page and the exports state them (counts and shares)."""

    orientation_id: int
    agree: int
    reservations: int
    disagree: int
    skip: int
    paper: int  # of the stances on one side or the other, those from paper ballots
    weighed_in: int
    kind: str
    label: str  # VERDICT_LABELS[kind]
    small_sample: bool

    def share(self, n: int) -> float | None:
        """n as a share of the stances on one side or the other (« sans avis » excluded)."""
        return n / self.weighed_in if self.weighed_in else None

    @property
    def answered(self) -> int:
        return self.weighed_in + self.skip

    @property
    def paper_share(self) -> float | None:
        return self.share(self.paper)


def figures_of(v: Verdict, paper: Verdict | None = None) -> StanceFigures:
    """`paper`: the same orientation's verdict on paper ballots only (its stances on a side are `paper`)."""
    return StanceFigures(
        orientation_id=v.orientation_id,
        agree=v.agree,
        reservations=v.reservations,
        disagree=v.disagree,
        skip=v.skip,
        paper=paper.weighed_in if paper is not None else 0,
        weighed_in=v.weighed_in,
        kind=str(v.kind),
        label=VERDICT_LABELS[v.kind],
        small_sample=v.small_sample and v.weighed_in > 0,
    )


def stance_figures(session: Session, *, edition_id: int | None = None) -> dict[int, StanceFigures]:
    """Every orientation on the edition's ballot → its stance figures, read from the rollups (no stance row)."""
    everything = verdict_by_orientation(session=session, edition_id=edition_id)
    paper_only = VerdictFilter(origins=(VoteOrigin.PAPER.value,))
    on_paper = {v.orientation_id: v for v in verdicts(session=session, filters=paper_only, edition_id=edition_id)}
    return {oid: figures_of(v, on_paper.get(oid)) for oid, v in everything.items()}


def _percent(share: float | None) -> str:
    return format_percent(round((share or 0.0) * 100))


def stance_split(f: StanceFigures) -> str:
    """« 60 % d'accord, 21 % d'accord avec réserves, 19 % pas d'accord »."""
    return (
        f"{_percent(f.share(f.agree))} d'accord, {_percent(f.share(f.reservations))} d'accord avec réserves, "
        f"{_percent(f.share(f.disagree))} pas d'accord"
    )


def stance_sentence(f: StanceFigures | None) -> str:
    """How many participants weighed in and how they split, in one French sentence (None: not on the ballot)."""
    if f is None:
        return NOT_ON_BALLOT
    skipped = f"{format_number(f.skip)} sans avis"
    if not f.weighed_in:
        if f.skip:
            return f"Aucun participant n'a pris position sur cette orientation ({skipped})."
        return "Aucun avis n'a été donné sur cette orientation."
    who = (
        f"{format_number(f.weighed_in)} participants ont donné leur avis"
        if f.weighed_in > 1
        else "1 participant a donné son avis"
    )
    if f.small_sample:
        small = VERDICT_LABELS[VerdictKind.SMALL]
        who += f" ({small[:1].lower()}{small[1:]} : à lire avec prudence)"
    sentence = f"{who} : {stance_split(f)}" + (f" ; {skipped}." if f.skip else ".")
    if not f.small_sample:
        sentence += f" Verdict de la salle : {f.label[:1].lower()}{f.label[1:]}."
    if f.paper:
        sentence += (
            f" Dont {format_number(f.paper)} avis exprimés sur bulletin papier."
            if f.paper > 1
            else " Dont 1 avis exprimé sur bulletin papier."
        )
    return sentence
