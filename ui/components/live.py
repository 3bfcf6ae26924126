"""What the live pages (« En direct », « Verdict de la salle ») draw the same way: the heading, the filters."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import NamedTuple, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from services.editions import EditionInfo
from services.exports import md_escape
from services.labels import ACTOR_TYPE_LABELS
from services.reference import ThemeInfo
from services.tallies import NOT_GIVEN
from ui import edition, store, tallies

K = TypeVar("K", bound=Hashable)

NOT_GIVEN_LABEL = "Non renseigné"
# The actor types a filter offers, « not given » included.
ACTOR_FILTER_LABELS = {**ACTOR_TYPE_LABELS, NOT_GIVEN: NOT_GIVEN_LABEL}


class LivePage(NamedTuple):
    """What a live page shows and names: the active edition, its themes, the labels its filters offer."""

    current: EditionInfo
    themes: list[ThemeInfo]
    theme_names: dict[int, str]
    departement_labels: dict[str, str]  # « not given » included
    actor_labels: dict[str, str]  # « not given » included


def open_live_page(title: str, intro: str) -> LivePage:
    """The active edition (the staff sidebar's choice) and its labels, then the page's title, edition and intro."""
    current = edition.active_edition(staff=True)
    themes = store.themes(current.id)
    departement_labels = {**tallies.departement_labels(current.id), NOT_GIVEN: NOT_GIVEN_LABEL}
    st.title(title)
    # Typed by staff (the edition's settings): escaped before Markdown sees it.
    st.caption(md_escape(f"{current.name} · {current.place_and_date}"))
    st.caption(intro)
    theme_names = {t.id: t.short_label for t in themes}
    return LivePage(current, themes, theme_names, departement_labels, ACTOR_FILTER_LABELS)


def choose_among(column: DeltaGenerator, label: str, labels: Mapping[K, str], *, placeholder: str, key: str) -> list[K]:
    """The options chosen among `labels`' keys, shown by their labels, in `labels`' order; none means all."""
    return column.multiselect(
        label, options=list(labels), format_func=labels.__getitem__, placeholder=placeholder, key=key
    )
