"""Small drawing helpers shared by the treasure-hunt pages."""

from __future__ import annotations

import re

import streamlit as st

from services import circuit, qrcodes
from ui import store

_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


def theme_band(color: str, label: str) -> None:
    """A strip of the theme's colour above its label (the label is drawn as plain text)."""
    # Only a colour checked against #RRGGBB reaches the HTML: nothing typed by anyone else.
    if _HEX.fullmatch(color or ""):
        st.html(f'<div style="height:8px;border-radius:4px;background:{color}"></div>')
    st.text(label)


# Stands are the same for every visitor of an edition: shared cache keyed by the edition, short TTL so an admin
# edit shows quickly.
@st.cache_data(ttl=30, max_entries=64, show_spinner=False)
def stand_page(edition_id: int, code: str) -> circuit.StandPage | None:
    return store.read(circuit.get_stand_page, code=code, edition_id=edition_id)


@st.cache_data(ttl=30, max_entries=8, show_spinner=False)
def open_stands(edition_id: int) -> list[circuit.StandPage]:
    return store.read(circuit.list_circuit, edition_id=edition_id)


def clear_caches() -> None:
    stand_page.clear()
    open_stands.clear()


# The same sheet for every admin until a stand changes (the stands, with their edition, are part of the key).
@st.cache_data(max_entries=2, show_spinner="Préparation des affiches…")
def posters_pdf(stands: tuple[qrcodes.PosterStand, ...], base_url: str) -> bytes:
    return qrcodes.stand_posters_pdf(list(stands), base_url)
