"""Rédaction under AppTest: each orientation's stance figures beside its sources."""

from __future__ import annotations

import pytest

from db.engine import session_scope
from services import drafting, verdict, votes
from services.codes import device_token
from services.permissions import CONSOLE_ACTOR
from tests.app_pages.helpers import app_as, texts

pytestmark = pytest.mark.usefixtures("app_env")

DRAFTING = "app_pages/drafting.py"
PCT = "\u00a0%"


def seed() -> list[votes.BallotItem]:
    with session_scope() as session:
        items = votes.ballot(session=session, theme_id=1)
    with session_scope(write=True) as session:
        votes.enter_paper_ballots(
            session=session,
            lines=[votes.PaperLine(items[0].id, {"agree": 20, "reservations": 9, "disagree": 8, "skip": 5})],
            source="Urne",
            actor=CONSOLE_ACTOR,
            batch=votes.new_paper_batch(),
        )
        for token in [device_token() for _ in range(5)]:
            votes.cast_vote(
                session=session, device_token=token, orientation_id=items[0].id, choice="agree", origin="cards"
            )
        for token in [device_token() for _ in range(3)]:
            votes.cast_vote(
                session=session, device_token=token, orientation_id=items[1].id, choice="disagree", origin="stand"
            )
        drafting.add_orientation(
            session=session,
            theme_id=1,
            title="Une orientation ajoutée après la conférence",
            body="",
            actor=CONSOLE_ACTOR,
        )
    return items


def test_each_orientation_shows_its_stance_figures_beside_its_sources() -> None:
    items = seed()
    at = app_as("staff").run()
    at.switch_page(DRAFTING).run()
    assert not at.exception
    # The draft's table: how many weighed in and the verdict, per orientation.
    table = next(df.value for df in at.dataframe if "Verdict" in df.value.columns)
    by_code = dict(zip(table["Code"], zip(table["Avis"], table["Verdict"], strict=True), strict=True))
    assert by_code[items[0].code] == (42, verdict.VERDICT_LABELS[verdict.VerdictKind.CONSENSUS])
    assert by_code[items[1].code] == (3, verdict.VERDICT_LABELS[verdict.VerdictKind.SMALL])
    added = [code for code in by_code if code not in {i.code for i in items}]
    assert added and by_code[added[0]][1] == "Non soumise au vote"

    # The Sources tab of the focused orientation: the counts, the shares, the verdict, the paper share, the caveat.
    assert at.selectbox(key="drafting_focus").value == items[0].id
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Avis exprimés": "42",
        "D'accord": f"60{PCT}",
        "Avec réserves": f"21{PCT}",
        "Pas d'accord": f"19{PCT}",
        "Sans avis": "5",
    }
    content = texts(at)
    assert f"Verdict de la salle : Consensus · dont bulletins papier : 37 (88{PCT})" in content
    assert drafting.COOKIE_CAVEAT in content

    at.selectbox(key="drafting_focus").set_value(items[1].id).run()
    assert not at.exception
    assert f"Moins de {verdict.SMALL_SAMPLE} avis : à lire avec prudence" in texts(at)
    assert {m.label: m.value for m in at.metric}["Pas d'accord"] == f"100{PCT}"

    new_id = next(o.id for o in _orientations() if o.code == added[0])
    at.selectbox(key="drafting_focus").set_value(new_id).run()
    assert not at.exception
    assert drafting.NOT_ON_BALLOT in texts(at)
    assert not at.metric


def _orientations() -> list[drafting.OrientationView]:
    with session_scope() as session:
        return drafting.list_draft_orientations(session=session, theme_id=1)
