"""Live figures told to screen readers politely: a summary that changes at most once a minute.

The live pages redraw their figures every 2 s. Streamlit's st.metric carries no aria-live, so a screen reader
never reads those changes out (checked in Streamlit 1.67's frontend: only alerts, spinners and a few widgets
are live regions); someone who moves to a figure hears its current value. What a listener should be told
without asking, the state of the room, goes in one status region: st.info renders role="status" (a polite
live region: read after what the reader is saying, never interrupting). Its text is held in session state
and replaced only when the summary changed and a minute has passed, so the region changes, and is read,
at most once a minute; between two changes Streamlit redraws the same text and nothing is announced.

Only Streamlit's own element and our own words and numbers: no HTML, nothing a participant typed.
"""

from __future__ import annotations

import time

import streamlit as st

ANNOUNCE_EVERY_S = 60.0


def next_announcement(previous: tuple[str, float] | None, summary: str, now: float) -> tuple[str, float]:
    """The text to show and when it was first shown: `summary` if nothing was shown yet, or if it differs
    from what was shown at least ANNOUNCE_EVERY_S ago; else what is shown already."""
    if previous is None or (previous[0] != summary and now - previous[1] >= ANNOUNCE_EVERY_S):
        return summary, now
    return previous


def polite_summary(key: str, summary: str) -> None:
    """Draw the status region `key` (a container key, so pages' CSS can place or visually hide it)."""
    shown = next_announcement(st.session_state.get(key), summary, time.time())
    st.session_state[key] = shown
    with st.container(key=f"{key}_region"):
        st.info(shown[0])  # no icon: its ligature name would be read out with the text
