"""What the live pages (« En direct », « Verdict de la salle ») draw the same way: the heading, the filters."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from services.editions import EditionInfo
from services.exports import md_escape
from services.labels import ACTOR_TYPE_LABELS
from services.tallies import NOT_GIVEN
from ui import tallies

K = TypeVar("K", bound=Hashable)

NOT_GIVEN_LABEL = "Non renseigné"
# The actor types a filter offers, « not given » included.
ACTOR_FILTER_LABELS = {**ACTOR_TYPE_LABELS, NOT_GIVEN: NOT_GIVEN_LABEL}


def departement_filter_labels(edition_id: int) -> dict[str, str]:
    """The edition's départements a filter offers, « not given » included."""
    return {**tallies.departement_labels(edition_id), NOT_GIVEN: NOT_GIVEN_LABEL}


def heading(title: str, current: EditionInfo, intro: str) -> None:
    """The page's title, the edition it shows, and what the page does."""
    st.title(title)
    # Typed by staff (the edition's settings): escaped before Markdown sees it.
    st.caption(md_escape(f"{current.name} · {current.place_and_date}"))
    st.caption(intro)


def choose_among(column: DeltaGenerator, label: str, labels: Mapping[K, str], *, placeholder: str, key: str) -> list[K]:
    """The options chosen among `labels`' keys, shown by their labels, in `labels`' order; none means all."""
    return column.multiselect(
        label, options=list(labels), format_func=labels.__getitem__, placeholder=placeholder, key=key
    )
