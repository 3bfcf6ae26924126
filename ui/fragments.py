"""A page's part that reruns alone when its own widgets are used: st.fragment, with app.py's guards inside.

Each interaction outside a fragment reruns app.py (the staff login, the menu, the sidebar) and the whole page;
a room of phones pays it at every tap (bench/bench_gestures.py measures each gesture's CPU). The interactive
part of a participant's page (the contribution form, the orientation card, a stand's visit) is therefore a
fragment: a tap reruns that part only.

A fragment's own run does not pass through app.py, and Streamlit catches an exception raised inside a fragment
before app.py's guards would see it: the same guards wrap the fragment's body here (a store that cannot be
reached gives the French message and a retry button, of the fragment's own key; anything else the French
sentence, the trace in the log only).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import streamlit as st

from ui import errors, store

P = ParamSpec("P")


def interactive_fragment(fn: Callable[P, None]) -> Callable[P, None]:
    """`@interactive_fragment` on a function drawing a page's interactive part: st.fragment with the guards."""

    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        with (
            errors.unexpected_errors_reported(),
            store.storage_faults_reported(retry_key=f"store_unavailable_retry_{fn.__name__}"),
        ):
            fn(*args, **kwargs)

    return st.fragment(guarded)
