"""The adequacy check on a participant's phone, under AppTest: the « avis » page (one card per screen), the
stand's cards, the cards after a contribution, the optional « pourquoi ? » and profile."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from db.engine import session_scope
from models import Contribution, Edition, Orientation, OrientationVote, Stand, Theme
from services import votes
from services.codes import device_token
from services.exports import md_escape
from services.permissions import CONSOLE_ACTOR
from services.votes import STANCES_HELD, BallotItem
from tests.app_pages.helpers import app_as, texts
from tests.app_pages.test_contribute import BODY, fill, send
from tests.app_pages.test_output_safety import markdown_strings, plain_strings
from tests.fixtures.hostile import FRAGMENTS, HOSTILE, SHORT
from ui import votes as vote_cards
from ui.participant import token_key

pytestmark = pytest.mark.usefixtures("app_env")
TOKEN = token_key("pays-de-la-loire-2016")  # the default edition of the test stores
PAGE = "app_pages/vote.py"
AGREE, RESERVATIONS, DISAGREE, SKIP = "agree", "reservations", "disagree", "skip"
REASON = "Les dossiers régionaux sont trop longs pour une association sans salarié."


def open_page(path: str = PAGE, *, token: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    at = app_as(None)
    if token is not None:
        at.session_state[TOKEN] = token
    at.run()
    if query:
        at.query_params.update(query)
    at.switch_page(path).run()
    assert not at.exception
    return at


def ballot(theme_id: int | None = None) -> list[BallotItem]:
    with session_scope() as session:
        return votes.ballot(session=session, theme_id=theme_id)


def stances(token: str) -> dict[int, str]:
    with session_scope() as session:
        return votes.my_votes(session=session, device_token=token)


def stored_votes() -> list[OrientationVote]:
    with session_scope() as session:
        return list(session.exec(select(OrientationVote)).all())


def tap(at: AppTest, orientation_id: int, choice: str, key: str = "vote") -> AppTest:
    at.button(key=f"{key}_{orientation_id}_{choice}").click().run()
    assert not at.exception
    return at


def answer_buttons(at: AppTest, key: str = "vote") -> dict[str, str]:
    """The answer buttons drawn: key → type (primary for the stance given)."""
    prefix = f"{key}_"
    choices = (AGREE, RESERVATIONS, DISAGREE, SKIP)
    return {
        b.key: b.proto.type
        for b in at.button
        if b.key is not None and b.key.startswith(prefix) and b.key.endswith(choices)  # the page keys every button
    }


def progress(at: AppTest) -> str:
    return " ".join(str(p.proto.text) for p in at.get("progress"))


def close_vote(theme_id: int | None = None) -> None:
    with session_scope(write=True) as session:
        votes.set_vote_open(session=session, open_=False, actor=CONSOLE_ACTOR, theme_id=theme_id)


def test_one_tap_stores_the_stance_and_moves_to_the_next_card() -> None:
    items, token = ballot(), device_token()
    at = open_page(token=token)
    assert "Orientation 1 sur 17" in progress(at)
    assert f"{items[0].code} · {items[0].title}" in [t.value for t in at.text]
    assert set(answer_buttons(at)) == {f"vote_{items[0].id}_{c}" for c in (AGREE, RESERVATIONS, DISAGREE, SKIP)}
    assert [b.label for b in at.button if b.key is not None and b.key.startswith(f"vote_{items[0].id}_")] == [
        "D'accord",
        "D'accord avec réserves",
        "Pas d'accord",
        "Je ne sais pas / passer",
    ]

    tap(at, items[0].id, AGREE)
    assert stances(token) == {items[0].id: AGREE}
    assert "Orientation 2 sur 17" in progress(at)
    assert f"{items[1].code} · {items[1].title}" in [t.value for t in at.text]
    assert f"{md_escape(items[0].code)} : D'accord, enregistré" in progress(at)
    (row,) = stored_votes()
    assert row.origin == "cards"


def test_a_stance_is_shown_as_chosen_and_can_be_changed() -> None:
    items, token = ballot(), device_token()
    at = tap(open_page(token=token), items[0].id, AGREE)
    at.button(key="vote_previous").click().run()
    assert answer_buttons(at)[f"vote_{items[0].id}_{AGREE}"] == "primary"
    assert answer_buttons(at)[f"vote_{items[0].id}_{DISAGREE}"] == "secondary"
    assert "Votre avis : **D'accord**" in texts(at)

    tap(at, items[0].id, DISAGREE)
    assert stances(token) == {items[0].id: DISAGREE}
    assert len(stored_votes()) == 1  # changed, not added
    at.button(key="vote_previous").click().run()
    assert answer_buttons(at)[f"vote_{items[0].id}_{DISAGREE}"] == "primary"


def test_skip_is_always_possible_and_moves_on() -> None:
    items, token = ballot(), device_token()
    at = tap(open_page(token=token), items[0].id, SKIP)
    assert stances(token) == {items[0].id: SKIP}
    assert "Orientation 2 sur 17" in progress(at)
    # « Suivante » moves on without storing anything.
    at.button(key="vote_next").click().run()
    assert "Orientation 3 sur 17" in progress(at)
    assert stances(token) == {items[0].id: SKIP}


def test_stances_survive_a_new_session_with_the_same_phone() -> None:
    items, token = ballot(), device_token()
    at = open_page(token=token)
    tap(tap(at, items[0].id, AGREE), items[1].id, RESERVATIONS)

    again = open_page(token=token)  # a reload: a new session, the same cookie
    assert "Orientation 3 sur 17" in progress(again)  # opens on the first orientation still without a stance
    again.button(key="vote_previous").click().run()
    assert answer_buttons(again)[f"vote_{items[1].id}_{RESERVATIONS}"] == "primary"
    assert "Votre avis : **D'accord avec réserves**" in texts(again)

    other = open_page(token=device_token())  # another phone sees none of them
    assert "Orientation 1 sur 17" in progress(other)
    assert "primary" not in answer_buttons(other).values()


def test_every_orientation_of_one_theme_in_under_twenty_taps() -> None:
    """The done-when's path, counted: open the page, pick a theme, one tap per orientation."""
    theme_items = [i for i in ballot() if i.theme_code == "emploi"]
    token = device_token()
    at = open_page(token=token)
    taps = 0
    at.button_group(key="vote_theme_pick").set_value(theme_items[0].theme_id).run()
    taps += 1
    for item in theme_items:
        assert f"{item.code} · {item.title}" in [t.value for t in at.text]
        tap(at, item.id, AGREE)
        taps += 1
    assert stances(token) == {i.id: AGREE for i in theme_items}
    assert taps < 20
    assert taps == len(theme_items) + 1


def test_a_link_opens_a_theme_and_the_address_follows_the_card() -> None:
    theme_items = ballot(theme_id=None)
    emploi = [i for i in theme_items if i.theme_code == "emploi"]
    at = open_page(query={"theme": "emploi"}, token=device_token())
    assert f"{emploi[0].code} · {emploi[0].title}" in [t.value for t in at.text]
    assert at.query_params["theme"] == ["emploi"] or at.query_params["theme"] == "emploi"
    at.button(key="vote_previous").click().run()  # back into the previous theme: the address follows
    assert at.query_params["theme"] in (["entreprendre"], "entreprendre")


def test_after_the_last_card_a_summary_where_each_stance_can_be_changed() -> None:
    items, token = ballot(), device_token()
    at = open_page(token=token)
    at.button_group(key="vote_theme_pick").set_value(items[-1].theme_id).run()
    for item in [i for i in items if i.theme_id == items[-1].theme_id]:
        tap(at, item.id, AGREE)
    assert "Vos avis" in [s.value for s in at.subheader]
    content = texts(at)
    assert "3 avis donnés sur 17 orientations" in content
    assert f"{items[-1].code} · {items[-1].title}" in [t.value for t in at.text]
    # Change the last one from the summary: its card, then back to the summary.
    at.button(key=f"vote_change_{items[-1].id}").click().run()
    assert answer_buttons(at)[f"vote_{items[-1].id}_{AGREE}"] == "primary"
    tap(at, items[-1].id, DISAGREE)
    assert "Vos avis" in [s.value for s in at.subheader]
    assert stances(token)[items[-1].id] == DISAGREE


def test_a_vote_closed_meanwhile_refuses_the_tap_in_french_and_shows_results_only() -> None:
    items, token = ballot(), device_token()
    voter = device_token()
    with session_scope(write=True) as session:
        votes.cast_vote(session=session, device_token=voter, orientation_id=items[0].id, choice=AGREE, origin="cards")
    at = open_page(token=token)
    close_vote(items[0].theme_id)
    tap(at, items[0].id, DISAGREE)
    assert votes.VOTE_CLOSED in [w.value for w in at.warning]
    assert stances(token) == {}
    assert not answer_buttons(at)  # results only
    content = texts(at)
    assert vote_cards.CLOSED in content
    assert any("D'accord : 1 (100" in str(p.proto.text) for p in at.get("progress"))
    assert "Moins de 10 avis" in content
    assert vote_cards.HONEST_RESULTS in content


def test_a_vote_closed_for_the_whole_edition_says_so_and_shows_results() -> None:
    close_vote()
    at = open_page(token=device_token())
    assert "Le vote est clos : voici les résultats de la salle." in [i.value for i in at.info]
    assert not answer_buttons(at)
    assert vote_cards.CLOSED in texts(at)


def test_an_archived_edition_shows_a_notice_and_results_only() -> None:
    with session_scope(write=True) as session:
        row = session.get(Edition, 1)
        assert row is not None
        row.status = "archived"
        session.add(row)
    at = open_page(token=device_token())
    assert any("Cette édition de la conférence est terminée" in i.value for i in at.info)
    assert not answer_buttons(at)
    assert not [b for b in at.button if b.key == "vote_profile_save"]


def test_a_throttled_tap_is_refused_with_the_throttle_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESS_ADDRESS_STANCES_PER_10S", "1")
    get_settings.cache_clear()
    items, token = ballot(), device_token()
    at = tap(open_page(token=token), items[0].id, AGREE)
    tap(at, items[1].id, AGREE)
    assert stances(token) == {items[0].id: AGREE}
    held = STANCES_HELD.split("{")[0]
    assert [w.value for w in at.warning if w.value.startswith(held)]  # the throttle's own French sentence
    assert "Orientation 2 sur 17" in progress(at)  # the card stays: touch again in a moment


def test_a_storage_fault_keeps_the_card_and_asks_to_touch_again(monkeypatch: pytest.MonkeyPatch) -> None:
    items, token = ballot(), device_token()
    at = open_page(token=token)

    def broken(**_: object) -> None:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(votes, "cast_vote", broken)
    tap(at, items[0].id, AGREE)
    assert vote_cards.NOT_SAVED in [e.value for e in at.error]
    assert "Orientation 1 sur 17" in progress(at)
    monkeypatch.undo()
    tap(at, items[0].id, AGREE)  # the same tap again, once the store is back
    assert stances(token) == {items[0].id: AGREE}


def test_the_why_becomes_a_contribution_with_a_receipt_and_keeps_the_text_when_refused() -> None:
    items, token = ballot(), device_token()
    at = tap(open_page(token=token), items[0].id, RESERVATIONS)
    at.button(key="vote_previous").click().run()
    box = f"vote_why_{items[0].id}"
    at.text_area(key=box).input("Trop court").run()
    at.button(key=f"vote_whysend_{items[0].id}").click().run()
    assert not at.exception
    assert at.error  # the contribution's own rule on length, in French
    assert at.text_area(key=box).value == "Trop court"
    with session_scope() as session:
        assert not session.exec(select(Contribution)).all()

    at.text_area(key=box).input(REASON).run()
    at.button(key=f"vote_whysend_{items[0].id}").click().run()
    assert not at.exception
    with session_scope() as session:
        (row,) = session.exec(select(Contribution)).all()
        assert (row.orientation_id, row.stance, row.body) == (items[0].id, "support_with_reservations", REASON)
        code = row.receipt_code
    assert any(code in s.value for s in at.success)
    assert at.text_area(key=box).value == ""


def test_the_optional_profile_is_saved_and_follows_the_stances() -> None:
    items, token = ballot(), device_token()
    at = tap(open_page(token=token), items[0].id, AGREE)
    at.selectbox(key="vote_actor").select("cooperative").run()
    at.selectbox(key="vote_departement").select("49").run()
    at.button(key="vote_profile_save").click().run()
    assert not at.exception
    assert "Merci : vos avis sont comptés avec ces précisions." in [s.value for s in at.success]
    with session_scope() as session:
        profile = votes.voter_profile(session=session, device_token=token)
    assert (profile.actor_type, profile.departement) == ("cooperative", "49")
    (row,) = stored_votes()
    assert (row.actor_type, row.departement) == ("cooperative", "49")
    again = open_page(token=token)
    assert again.selectbox(key="vote_actor").value == "cooperative"
    assert "Vos précisions : Coopérative · Maine\\-et\\-Loire" in texts(again)
    assert "pour lire les résultats par public" in " ".join(e.proto.label for e in again.expander).lower()


def test_the_stand_page_offers_its_theme_cards_after_the_visit() -> None:
    token = device_token()
    at = open_page("app_pages/stand.py", token=token, query={"code": "S04"})
    with session_scope() as session:
        stand = session.exec(select(Stand).where(Stand.code == "S04")).one()
    items = ballot(theme_id=stand.theme_id)
    assert set(answer_buttons(at, "stand_vote")) == {
        f"stand_vote_{i.id}_{c}" for i in items for c in (AGREE, RESERVATIONS, DISAGREE, SKIP)
    }
    keys = [b.key for b in at.button]
    assert keys.index("stand_visit") < keys.index(f"stand_vote_{items[0].id}_{AGREE}")
    tap(at, items[1].id, DISAGREE, key="stand_vote")
    (row,) = stored_votes()
    assert (row.orientation_id, row.choice, row.origin, row.stand_id) == (items[1].id, DISAGREE, "stand", stand.id)
    assert answer_buttons(at, "stand_vote")[f"stand_vote_{items[1].id}_{DISAGREE}"] == "primary"
    assert f"{items[1].code} · {items[1].title}" in [t.value for t in at.text]


def test_after_a_contribution_the_theme_cards_come_one_at_a_time_below_the_receipt() -> None:
    token = device_token()
    at = send(fill(open_page("app_pages/contribute.py", token=token), theme=1))
    assert "Contribution enregistrée. Merci !" in [s.value for s in at.success]
    items = ballot(theme_id=1)
    assert set(answer_buttons(at, "contribute_vote")) == {
        f"contribute_vote_{items[0].id}_{c}" for c in (AGREE, RESERVATIONS, DISAGREE, SKIP)
    }
    for n, item in enumerate(items):
        assert f"Orientation {n + 1} sur {len(items)} de ce thème" in texts(at)
        tap(at, item.id, AGREE, key="contribute_vote")
        assert "Contribution enregistrée. Merci !" in [s.value for s in at.success]  # the receipt stays
    assert stances(token) == {i.id: AGREE for i in items}
    assert {v.origin for v in stored_votes()} == {"contribution"}
    assert f"Vous avez donné votre avis sur les {len(items)} orientations de ce thème." in texts(at)
    assert not answer_buttons(at, "contribute_vote")
    with session_scope() as session:
        assert [c.body for c in session.exec(select(Contribution)).all()] == [BODY]


def test_the_home_page_links_to_the_avis_page() -> None:
    at = app_as(None).run()
    assert not at.exception
    assert ("Donner mon avis sur les orientations proposées", "avis") in [
        (el.proto.label, el.proto.page) for el in at.get("page_link")
    ]


def test_orientation_and_theme_texts_typed_by_staff_are_drawn_as_text_only() -> None:
    with session_scope(write=True) as session:
        orientation = session.exec(select(Orientation).where(Orientation.code == "T1-O1")).one()
        orientation.title, orientation.body, orientation.code = SHORT, HOSTILE, "T1-O1 **x**"
        theme = session.get(Theme, orientation.theme_id)
        assert theme is not None
        theme.short_label = SHORT[:60]
        session.add_all([orientation, theme])
    token = device_token()
    at = open_page(token=token)
    for stage in ("card", "saved", "summary"):
        if stage == "saved":
            tap(at, orientation.id or 0, AGREE)
        if stage == "summary":
            at.button(key="vote_summary").click().run()
            assert not at.exception
        leaks = [s for s in markdown_strings(at) if any(f in s for f in FRAGMENTS)]
        assert leaks == [], stage
        if stage == "saved":  # the confirmation names the code in the progress line's Markdown: escaped
            assert md_escape("T1-O1 **x**") in progress(at)
            assert "T1-O1 **x**" not in progress(at)
        else:
            assert f"T1-O1 **x** · {SHORT}" in plain_strings(at), stage
    stand = open_page("app_pages/stand.py", token=token, query={"code": "S01"})
    assert not [s for s in markdown_strings(stand) if any(f in s for f in FRAGMENTS)]
    assert f"T1-O1 **x** · {SHORT}" in [t.value for t in stand.text]
