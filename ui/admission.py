"""At most a few script runs at once in this process; the others wait their turn on a semaphore.

Why: a Streamlit server runs each session's script in its own thread, and all of them share one GIL with the
event loop that sends every session's messages. When a whole room scans the join QR code, dozens of runs are
runnable together: each one releases the GIL at every message it queues and every file or database call, and
then waits behind all the others to get it back, while the event loop waits too. Measured with bench_sessions
(400 phones arriving at 13 a second) on a machine loaded by other work, with the sentence-vector backfill of
2 000 imported contributions running in the same process: without a gate the landing views' median was 4 s and
20 s in two runs, with 4 slots 0,1 s (p95 0,7 s and 1,5 s). On a quiet machine, where the server keeps up, it
changes little (p95 59 ms against 80 ms, bench/RESULTS.md). A thread blocked on a semaphore does not compete
for the GIL: the runs admitted finish sooner, the others start in their order of arrival, and the event loop
gets its turn. It does not make the server faster: arrivals asking more CPU than the process gets still queue.

Only app.py's runs pass here: the buttons' callbacks run before them (a contribution is saved without waiting
for a slot) and a fragment's rerun does not go through app.py. A run that waited `max_wait` seconds goes ahead
without a slot rather than wait longer behind a stuck one (a slow page can delay the others, never block them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.config import get_settings


@st.cache_resource(show_spinner=False)
def _slots(count: int) -> threading.BoundedSemaphore:
    """One per process (and per configured size): shared by every browser session of this server."""
    return threading.BoundedSemaphore(count)


@contextmanager
def page_run_slot() -> Iterator[None]:
    """Hold one of the process's page-run slots for the body (or go ahead after the configured wait)."""
    settings = get_settings()
    slots = _slots(settings.page_runs_at_once)
    acquired = slots.acquire(timeout=settings.page_run_max_wait_seconds)
    try:
        yield
    finally:
        if acquired:
            slots.release()
