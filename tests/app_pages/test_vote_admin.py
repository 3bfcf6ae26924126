"""Pilotage du vote under AppTest: open and close per edition and theme, paper ballots in bulk, withdraw."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import PaperBallot
from services import verdict, votes
from services.codes import device_token
from services.errors import ValidationError
from services.permissions import CONSOLE_ACTOR
from services.scope import ARCHIVED
from tests.app_pages.helpers import app_as, texts

pytestmark = pytest.mark.usefixtures("app_env")

PAGE = "app_pages/vote_admin.py"
K_BATCH = "vote_admin_paper_batch"
K_PENDING = "vote_admin_paper_pending"


def open_as(role: str) -> AppTest:
    at = app_as(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def ballot(theme_id: int | None = None) -> list[votes.BallotItem]:
    with session_scope() as session:
        return votes.ballot(session=session, theme_id=theme_id)


def tap(orientation_id: int) -> votes.VoteReceipt:
    with session_scope(write=True) as session:
        return votes.cast_vote(
            session=session, device_token=device_token(), orientation_id=orientation_id, choice="agree", origin="cards"
        )


def settings() -> votes.VoteSettings:
    with session_scope() as session:
        return votes.vote_settings(session=session)


def grid_key(at: AppTest, theme_id: int) -> str:
    return f"vote_admin_paper_grid_{theme_id}_{at.session_state[K_BATCH]}"


def fill(at: AppTest, theme_id: int, edits: dict[int, dict[str, object]], source: str) -> AppTest:
    """Type counts in the grid (row → column → value) and the provenance, as a person would."""
    at.selectbox(key="vote_admin_paper_theme").set_value(theme_id).run()
    at.session_state[grid_key(at, theme_id)] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    at.text_input(key="vote_admin_paper_source").input(source).run()
    assert not at.exception
    return at


def paper_rows() -> list[PaperBallot]:
    with session_scope() as session:
        return list(session.exec(select(PaperBallot)).all())


def counts(code: str) -> tuple[int, int, int, int, int]:
    with session_scope() as session:
        row = next(v for v in verdict.verdicts(session=session) if v.code == code)
    return (row.agree, row.reservations, row.disagree, row.skip, row.paper)


def test_open_and_close_per_theme_and_for_the_edition_then_a_tap_is_refused() -> None:
    first, second = ballot(theme_id=1)[0], ballot(theme_id=2)[0]
    at = open_as("organizer")
    at.button(key="vote_admin_theme_1_close").click().run()
    assert not at.exception
    assert "Vote du thème clos." in texts(at)
    assert "Vote clos : les participants voient les résultats" in texts(at)
    assert not settings().theme_open(1) and settings().theme_open(2)
    with pytest.raises(ValidationError) as refused:
        tap(first.id)
    assert refused.value.errors == {"vote": votes.VOTE_CLOSED}
    assert tap(second.id).changed

    at.button(key="vote_admin_edition_close").click().run()
    assert not at.exception
    assert "Vote de toute l'édition clos." in texts(at)
    assert not settings().edition_open and not settings().any_open
    with pytest.raises(ValidationError):
        tap(second.id)

    at.button(key="vote_admin_edition_open").click().run()
    at.button(key="vote_admin_theme_1_open").click().run()
    assert not at.exception
    assert settings().any_open and settings().theme_open(1)
    assert tap(first.id).changed


def test_paper_ballots_in_bulk_are_stored_once_even_when_sent_twice() -> None:
    items = ballot(theme_id=1)
    at = open_as("staff")
    fill(at, 1, {0: {"D'accord": 12, "Avec réserves": 3}, 1: {"Pas d'accord": 4, "Sans avis": 1}}, "Urne de l'accueil")
    at.button(key="vote_admin_paper_check").click().run()
    assert not at.exception
    assert "**20 bulletins** sur 2 orientations : enregistrer cette saisie ?" in texts(at)
    assert not paper_rows()  # nothing stored before the confirmation
    pending, typed = at.session_state[K_PENDING], grid_key(at, 1)
    at.button(key="vote_admin_paper_confirm").click().run()
    assert not at.exception
    assert "Saisie enregistrée : 20 bulletins sur 2 orientations." in texts(at)
    assert len(paper_rows()) == 4
    assert counts(items[0].code) == (12, 3, 0, 0, 15)
    assert counts(items[1].code) == (0, 0, 4, 1, 5)
    # The grid and the provenance are empty for the next urn.
    assert at.text_input(key="vote_admin_paper_source").value == ""
    assert grid_key(at, 1) != typed and not at.session_state[grid_key(at, 1)]["edited_rows"]

    # A second click sent from the page as it stood before the first one came back (same grid, same batch):
    # the service receives the same batch key again and adds nothing.
    at.session_state[K_BATCH] = pending["batch"]
    fill(at, 1, {0: {"D'accord": 12, "Avec réserves": 3}, 1: {"Pas d'accord": 4, "Sans avis": 1}}, "Urne de l'accueil")
    at.session_state[K_PENDING] = pending
    at.run()
    at.button(key="vote_admin_paper_confirm").click().run()
    assert not at.exception
    assert len(paper_rows()) == 4
    assert counts(items[0].code) == (12, 3, 0, 0, 15)
    with session_scope() as session:
        assert len(votes.list_paper_entries(session=session)) == 1
    # The list of entries shows it: provenance, who, when, how many.
    listing = next(df.value for df in at.dataframe if "Provenance" in df.value.columns)
    assert list(listing["Provenance"]) == ["Urne de l'accueil"]
    assert list(listing["Saisie par"]) == ["test-staff"]
    assert list(listing["Bulletins"]) == [20]
    assert listing["Date"][0][2] == "/" and listing["Date"][0][5] == "/"


@pytest.mark.parametrize(
    ("edits", "source", "message"),
    [
        ({0: {"D'accord": -3}}, "Urne 1", "le nombre de bulletins doit être un nombre entier entre 0 et 5\u202f000."),
        ({0: {"Pas d'accord": 999_999}}, "Urne 1", "le nombre de bulletins doit être un nombre entier"),
        ({}, "Urne 1", votes.PAPER_EMPTY),
        ({0: {"D'accord": 5}}, "", "provenance des bulletins"),
    ],
    ids=["negative", "too-large", "empty", "no-source"],
)
def test_refused_counts_get_a_french_message_and_what_was_typed_stays(
    edits: dict[int, dict[str, object]], source: str, message: str
) -> None:
    at = open_as("staff")
    fill(at, 1, edits, source)
    key = grid_key(at, 1)
    at.button(key="vote_admin_paper_check").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert message in errors, errors
    assert not paper_rows()
    assert at.session_state[key]["edited_rows"] == edits  # the grid as typed
    assert at.text_input(key="vote_admin_paper_source").value == source
    assert K_PENDING not in at.session_state


def test_an_entry_is_withdrawn_after_a_confirmation() -> None:
    first = ballot(theme_id=1)[0]
    with session_scope(write=True) as session:
        for n, source in ((7, "Urne du matin"), (2, "Urne de midi")):
            votes.enter_paper_ballots(
                session=session,
                lines=[votes.PaperLine(first.id, {"agree": n})],
                source=source,
                actor=CONSOLE_ACTOR,
                batch=votes.new_paper_batch(),
            )
    assert counts(first.code)[0] == 9
    at = open_as("staff")
    morning = next(e.batch for e in _entries() if e.source == "Urne du matin")
    at.selectbox(key="vote_admin_withdraw_pick").set_value(morning).run()
    at.button(key="vote_admin_withdraw").click().run()
    assert not at.exception
    assert "Retirer cette saisie ? Ses 7 bulletins sortiront des résultats" in texts(at)
    assert counts(first.code)[0] == 9  # not before the confirmation
    detail = next(df.value for df in at.dataframe if "Réponse" in df.value.columns)
    assert detail.to_dict("records") == [{"Orientation": first.code, "Réponse": "D'accord", "Bulletins": 7}]
    at.button(key="vote_admin_withdraw_confirm").click().run()
    assert not at.exception
    assert "Saisie retirée : 7 bulletins de moins dans les résultats." in texts(at)
    assert counts(first.code)[0] == 2
    listing = next(df.value for df in at.dataframe if "Provenance" in df.value.columns)
    states = dict(zip(listing["Provenance"], listing["État"], strict=True))
    assert states["Urne de midi"] == "Comptée" and states["Urne du matin"].startswith("Retirée le ")
    # Only what is still counted can be withdrawn.
    still_counted = [_label(e) for e in _entries() if not e.withdrawn_at]
    assert at.selectbox(key="vote_admin_withdraw_pick").options == still_counted


def _entries() -> list[votes.PaperEntry]:
    with session_scope() as session:
        return votes.list_paper_entries(session=session)


def _label(entry: votes.PaperEntry) -> str:
    from services.formatting import format_datetime

    return f"{format_datetime(entry.created_at)} · {entry.source} · {entry.ballots} bulletins"


@pytest.mark.parametrize("role", ["organizer", "staff", "admin"])
def test_organisers_and_staff_open_the_page(role: str) -> None:
    at = open_as(role)
    assert "Pilotage du vote" in [t.value for t in at.title]


def test_an_anonymous_visitor_cannot_reach_the_page() -> None:
    at = app_as(None).run()
    with pytest.raises(ValueError):
        at.switch_page(PAGE)
    from tests.app_pages.helpers import script

    direct = AppTest.from_file(script(PAGE), default_timeout=30).run()
    assert not direct.exception
    assert not direct.title and "réservée aux équipes habilitées" in texts(direct)


def test_an_archived_edition_is_read_only() -> None:
    from models import Edition

    with session_scope(write=True) as session:
        edition = session.get(Edition, 1)
        assert edition is not None
        edition.status = "archived"
        session.add(edition)
    at = open_as("admin")
    assert ARCHIVED in texts(at)
    keys = {b.key for b in at.button}
    assert not {k for k in keys if k and k.startswith("vote_admin_")}
    assert not at.data_editor
