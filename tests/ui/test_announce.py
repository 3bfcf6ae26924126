"""The screen readers' summary of live figures changes at most once a minute, and only when it differs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui.announce import ANNOUNCE_EVERY_S, next_announcement


def test_a_summary_is_replaced_only_when_it_changed_and_a_minute_has_passed() -> None:
    first = next_announcement(None, "3 contributions", 100.0)
    assert first == ("3 contributions", 100.0)
    assert next_announcement(first, "4 contributions", 100.0 + ANNOUNCE_EVERY_S - 1) == first  # too soon
    assert next_announcement(first, "3 contributions", 100.0 + 3600) == first  # unchanged: nothing to read
    assert next_announcement(first, "4 contributions", 100.0 + ANNOUNCE_EVERY_S) == ("4 contributions", 160.0)


def _page() -> None:
    import streamlit as st

    from ui.announce import polite_summary

    polite_summary("t_announce", f"{st.session_state.get('t_count', 0)} contributions")


def test_the_summary_is_one_status_region_that_keeps_its_text_between_refreshes() -> None:
    at = AppTest.from_function(_page).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["0 contributions"]  # st.info: role="status" in the browser
    at.session_state["t_count"] = 5
    at.run()  # the next refresh, seconds later: the figure changed, the region is not read again yet
    assert [i.value for i in at.info] == ["0 contributions"]
    text, shown_at = at.session_state["t_announce"]
    at.session_state["t_announce"] = (text, shown_at - ANNOUNCE_EVERY_S)  # a minute later
    at.run()
    assert [i.value for i in at.info] == ["5 contributions"]
