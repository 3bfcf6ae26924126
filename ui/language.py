"""The page's language for screen readers and browsers: French, though Streamlit's index.html says English."""

from __future__ import annotations

import streamlit as st

# A constant script (nothing a user typed goes into it): Streamlit serves <html lang="en"> and has no
# setting for it, so a screen reader would read every French sentence with English pronunciation.
_SET_FRENCH = "<script>document.documentElement.lang = 'fr';</script>"


def declare_french() -> None:
    """Set <html lang="fr"> from the sidebar (an empty element there, none in the page's own column)."""
    st.sidebar.html(_SET_FRENCH, unsafe_allow_javascript=True)
