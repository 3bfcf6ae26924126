"""The stances where the strategy is written: the drafting figures, the Word and Markdown draft, the Excel sheet,
and the demo day's stances (seeded through the real path, removed without a trace in the rollups)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from docx import Document
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import OrientationVote, Participant, VoteTally, VoteTallyTime
from services import data_export, demo, drafting, strategy_document, verdict, votes
from services.codes import device_token
from services.permissions import CONSOLE_ACTOR
from tests.services.test_votes import raw_counts

PCT = "\u00a0%"


def run(engine: Engine, fn: Any, write: bool = False, **kw: Any) -> Any:
    with session_scope(engine, write=write) as session:
        return fn(session=session, **kw)


def tap(engine: Engine, token: str, orientation_id: int, choice: str) -> None:
    run(
        engine,
        votes.cast_vote,
        write=True,
        device_token=token,
        orientation_id=orientation_id,
        choice=choice,
        origin="cards",
    )


def paper(engine: Engine, orientation_id: int, **counts: int) -> None:
    run(
        engine,
        votes.enter_paper_ballots,
        write=True,
        lines=[votes.PaperLine(orientation_id, counts)],
        source="Urne de test",
        actor=CONSOLE_ACTOR,
        batch=votes.new_paper_batch(),
    )


@pytest.fixture
def voted(store_engine: Engine) -> dict[str, Any]:
    """T1-O1: 42 weighed in (37 of them on paper) and 5 without opinion; T1-O2: 3 stances; the rest: none."""
    items = run(store_engine, votes.ballot)
    first, second = items[0], items[1]
    paper(store_engine, first.id, agree=20, reservations=9, disagree=8, skip=5)
    tokens = [device_token() for _ in range(5)]
    for token in tokens:
        tap(store_engine, token, first.id, "agree")
    for token in tokens[:3]:
        tap(store_engine, token, second.id, "agree")
    return {"items": items, "first": first, "second": second, "tokens": tokens}


def test_the_drafting_figures_and_their_sentence(store_engine: Engine, voted: dict[str, Any]) -> None:
    figures = run(store_engine, drafting.stance_figures)
    first = figures[voted["first"].id]
    assert (first.agree, first.reservations, first.disagree, first.skip) == (25, 9, 8, 5)
    assert (first.weighed_in, first.paper, first.small_sample) == (42, 37, False)
    assert first.label == verdict.VERDICT_LABELS[verdict.VerdictKind.CONSENSUS]
    assert drafting.stance_sentence(first) == (
        f"42 participants ont donné leur avis : 60{PCT} d'accord, 21{PCT} d'accord avec réserves, "
        f"19{PCT} pas d'accord ; 5 sans avis. Verdict de la salle : consensus. "
        "Dont 37 avis exprimés sur bulletin papier."
    )
    small = figures[voted["second"].id]
    assert small.small_sample and small.label == verdict.VERDICT_LABELS[verdict.VerdictKind.SMALL]
    assert drafting.stance_sentence(small) == (
        f"3 participants ont donné leur avis (moins de {verdict.SMALL_SAMPLE} avis : à lire avec prudence) : "
        f"100{PCT} d'accord, 0{PCT} d'accord avec réserves, 0{PCT} pas d'accord."
    )
    nobody = figures[voted["items"][2].id]
    assert not nobody.small_sample and nobody.weighed_in == 0
    assert drafting.stance_sentence(nobody) == "Aucun avis n'a été donné sur cette orientation."
    assert drafting.stance_sentence(None) == drafting.NOT_ON_BALLOT
    # Every orientation on the ballot has its figures, and only those.
    assert set(figures) == {i.id for i in voted["items"]}


def test_the_word_draft_states_how_each_orientation_was_received(store_engine: Engine, voted: dict[str, Any]) -> None:
    data = run(store_engine, strategy_document.strategy_docx)
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    stated = {
        p.removeprefix("Avis des participants : ") for p in paragraphs if p.startswith("Avis des participants : ")
    }
    with session_scope(store_engine) as session:
        figures = drafting.stance_figures(session=session)
    for item in voted["items"]:
        assert drafting.stance_sentence(figures[item.id]) in stated, item.code
    assert any(s.startswith("42 participants ont donné leur avis : 60") for s in stated)
    assert "Aucun avis n'a été donné sur cette orientation." in stated
    text = "\n".join(paragraphs)
    # The cookie caveat is said once, in the method note, not under each orientation.
    assert text.count(drafting.COOKIE_CAVEAT) == 1
    assert "Note de méthode : l'avis des participants" in paragraphs
    # Counts and shares only: no device token in the document.
    assert not any(token in text for token in voted["tokens"])
    markdown = run(store_engine, strategy_document.strategy_markdown)
    assert markdown.count("**Avis des participants :**") == len([p for p in paragraphs if p.startswith("Avis des ")])
    assert markdown.count(drafting.COOKIE_CAVEAT) == 1


def test_the_excel_export_has_a_sheet_of_stances_with_counts_only(store_engine: Engine, voted: dict[str, Any]) -> None:
    data = run(store_engine, data_export.excel_export, actor=CONSOLE_ACTOR)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[data_export.STANCE_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == data_export.STANCE_COLUMNS
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == {i.code for i in voted["items"]}
    first = by_code[voted["first"].code]
    assert first[3:] == (25, 9, 8, 5, 42, 37, verdict.VERDICT_LABELS[verdict.VerdictKind.CONSENSUS])
    assert first[1] and first[2] == voted["first"].title
    assert by_code[voted["second"].code][3:] == (3, 0, 0, 0, 3, 0, verdict.VERDICT_LABELS[verdict.VerdictKind.SMALL])
    # Anonymised by construction: no token, no participant id column, no token anywhere in the sheet.
    assert not {h for h in rows[0] if "jeton" in h.lower() or "participant" in h.lower() or "token" in h.lower()}
    cells = "\n".join(str(c) for r in rows for c in r if c is not None)
    assert not any(token in cells for token in voted["tokens"])
    assert sheet.freeze_panes == "A2"


def test_a_formula_like_orientation_title_is_neutralised_in_the_sheet(store_engine: Engine) -> None:
    from models import Orientation

    items = run(store_engine, votes.ballot)
    with session_scope(store_engine, write=True) as session:
        row = session.get(Orientation, items[0].id)
        assert row is not None
        row.title = '=HYPERLINK("http://exemple.invalid";"clic")'
        session.add(row)
    data = run(store_engine, data_export.excel_export, actor=CONSOLE_ACTOR)
    book = openpyxl.load_workbook(io.BytesIO(data))
    titles = [r[2] for r in book[data_export.STANCE_SHEET].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://exemple.invalid";"clic")' in titles
    assert not any(str(t).startswith("=") for t in titles)


def verdict_counts(session: Session) -> dict[tuple[int, str], int]:
    counts: dict[tuple[int, str], int] = {}
    for v in verdict.verdicts(session=session):
        for choice in votes.CHOICES:
            if n := getattr(v, choice):
                counts[(v.orientation_id, choice)] = n
    return counts


def rollup_total(session: Session, model: type[VoteTally] | type[VoteTallyTime]) -> dict[tuple[int, str], int]:
    rows = session.exec(
        select(model.orientation_id, model.choice, func.sum(model.n)).group_by(
            col(model.orientation_id), col(model.choice)
        )
    ).all()
    return {(o, c): int(n) for o, c, n in rows if n}


@pytest.mark.slow  # a whole demo day seeded through the real cast path
def test_the_demo_day_gives_stances_that_the_rollups_hold_exactly_and_its_removal_leaves_none(
    store_engine: Engine,
) -> None:
    real = run(store_engine, votes.ballot)[0]
    token = device_token()
    tap(store_engine, token, real.id, "disagree")  # a real stance, which must survive the demo's removal
    report = run(store_engine, demo.seed_demo, write=True, participants=40)
    assert report.stances > 100 and report.paper_ballots > 0
    with session_scope(store_engine) as session:
        raw = raw_counts(session)
        assert verdict_counts(session) == raw
        assert rollup_total(session, VoteTally) == raw == rollup_total(session, VoteTallyTime)
        demo_votes = session.exec(
            select(func.count())
            .select_from(OrientationVote)
            .join(Participant, col(Participant.id) == col(OrientationVote.participant_id))
            .where(col(Participant.is_demo))
        ).one()
        assert demo_votes == report.stances  # a change of mind changes the stored stance, adds none
        entries = votes.list_paper_entries(session=session)
        assert len(entries) == 1 and entries[0].ballots == report.paper_ballots
        rows = verdict.verdicts(session=session)
        kinds = {v.kind for v in rows}
        # A realistic mix: broad agreement on most, some orientations dividing the room or rejected.
        assert verdict.VerdictKind.CONSENSUS in kinds or verdict.VerdictKind.LEANING_AGREE in kinds
        assert kinds & {verdict.VerdictKind.DIVIDED, verdict.VerdictKind.REJECTED, verdict.VerdictKind.TIE}
        over_time = verdict.verdict_over_time(session=session, orientation_ids=[v.orientation_id for v in rows])
        assert len(set(over_time["at"])) > 4  # spread over the day, not one instant

    removed = run(store_engine, demo.remove_demo, write=True)
    assert removed["votes"] > 0 and removed["paper_ballots"] > 0
    with session_scope(store_engine) as session:
        raw = raw_counts(session)
        assert raw == {(real.id, "disagree"): 1}
        assert verdict_counts(session) == raw
        assert rollup_total(session, VoteTally) == raw == rollup_total(session, VoteTallyTime)
        assert votes.list_paper_entries(session=session) == []
        assert votes.my_votes(session=session, device_token=token) == {real.id: "disagree"}
