"""« À propos de vous »: who is speaking (type of structure, département), asked the same way by every form.

Both questions are optional: the first choice says so (« Je préfère ne pas le dire », or a page's own words)
and stands for the empty value, since a None option would show Streamlit's own (English) placeholder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import streamlit as st

from services.labels import ACTOR_TYPE_LABELS
from ui.forms import Form, choice

NOT_SAID = "Je préfère ne pas le dire"
UNSAID = ""  # the value of « not said »
OUTSIDE = "HORS"  # the reference code of « Hors région », shown by its name alone


def departement_label(code: str, name: str) -> str:
    """« 49 · Maine-et-Loire »; « Hors région » as it is."""
    return name if code.upper() == OUTSIDE else f"{code} · {name}"


def departement_labels(departements: Iterable[tuple[str, str]], *, unsaid: str = NOT_SAID) -> dict[str, str]:
    """Code → what the list shows, « not said » first (code "")."""
    return {UNSAID: unsaid} | {code: departement_label(code, name) for code, name in departements}


def actor_labels(*, unsaid: str = NOT_SAID) -> dict[str, str]:
    """Actor type → what the list shows, « not said » first (type "")."""
    return {UNSAID: unsaid, **ACTOR_TYPE_LABELS}


def _select(label: str, labels: Mapping[str, str], *, key: str, by_label: bool, **options: Any) -> None:
    if by_label:
        st.selectbox(label, list(labels.values()), key=key, **options)
    else:
        choice(st.selectbox, label, labels, key=key, **options)


def actor_and_departement(
    departements: Iterable[tuple[str, str]],
    *,
    keys: tuple[str, str],
    labels: tuple[str, str] = ("Vous êtes", "Votre département"),
    unsaid: str = NOT_SAID,
    form: Form | None = None,
    side_by_side: bool = False,
    by_label: bool = False,
    **options: Any,
) -> None:
    """The two questions, under each its message of `form` (fields actor_type and departement).

    `keys` are the page's widget keys (its users' session state lives there); `by_label`: the widgets' values
    are the labels themselves (the questionnaire's); `options` go to both selectboxes (persist_state...).
    A département kept from another edition's Région, no longer listed, is forgotten.
    """
    actor_key, departement_key = keys
    choices = departement_labels(departements, unsaid=unsaid)
    listed = choices.values() if by_label else choices.keys()
    if departement_key in st.session_state and st.session_state[departement_key] not in listed:
        st.session_state[departement_key] = choices[UNSAID] if by_label else UNSAID
    fields = (
        (labels[0], actor_labels(unsaid=unsaid), actor_key, "actor_type"),
        (labels[1], choices, departement_key, "departement"),
    )
    places: Sequence[AbstractContextManager[Any]] = st.columns(2) if side_by_side else (nullcontext(), nullcontext())
    for place, (label, shown, key, name) in zip(places, fields, strict=True):
        with place:
            _select(label, shown, key=key, by_label=by_label, **options)
            if form is not None:
                form.show(name)
