"""One JSON line per page run (core.logs): the page's path, its duration and how it ended.

`ok`, `rerun` (st.rerun or a page switch ended it early), `stop` (st.stop) or `exception` (the page's own guard,
ui.errors, then shows the French message). No user, no widget value, no query string. The fragments that rerun
alone (the dashboard's every few seconds) do not go through app.py and are not counted here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from core.logs import RUNS, clean_path, configure_logging


@contextmanager
def page_run_logged(url_path: str) -> Iterator[None]:
    """Time the page's run and write its line, whatever ends it (the exception goes on its way)."""
    configure_logging()
    started = time.perf_counter()
    outcome = "exception"
    try:
        yield
        outcome = "ok"
    except RerunException:
        outcome = "rerun"
        raise
    except StopException:
        outcome = "stop"
        raise
    finally:
        RUNS.info(
            "script",
            extra={
                "event": "script",
                "page": "/" + clean_path(url_path).strip("/"),
                "outcome": outcome,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
