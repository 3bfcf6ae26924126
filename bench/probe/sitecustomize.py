"""Bench-only timestamps inside the Streamlit server, for bench_submit.

bench_submit starts the server with PYTHONPATH=bench/probe and ESS_BENCH_PROBE=<file>; Python then
imports this module at start-up. It records, per browser session, when a rerun carrying a tap on
« Envoyer » arrives and when the receipt (the page's only st.metric) is queued for that browser,
so the benchmark can tell the server's share of click-to-receipt from the browsers'. Without the
variable it does nothing; the app never imports it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

_LOG = os.environ.get("ESS_BENCH_PROBE")

if _LOG:
    from streamlit.runtime import app_session

    _lock = threading.Lock()
    _out = open(_LOG, "a", buffering=1, encoding="utf-8")  # noqa: SIM115  (open for the server's lifetime)

    def _log(*fields: object) -> None:
        with _lock:
            _out.write("\t".join(str(f) for f in fields) + "\n")

    _handle_backmsg = app_session.AppSession.handle_backmsg
    _enqueue = app_session.AppSession._enqueue_forward_msg

    def handle_backmsg(self: Any, msg: Any) -> None:
        if msg.WhichOneof("type") == "rerun_script":
            widgets = msg.rerun_script.widget_states.widgets
            if any(w.id.endswith("-contribute_send") and w.trigger_value for w in widgets):
                _log("click", self.id, time.monotonic())
        _handle_backmsg(self, msg)

    def enqueue_forward_msg(self: Any, msg: Any) -> None:
        if (
            msg.WhichOneof("type") == "delta"
            and msg.delta.WhichOneof("type") == "new_element"
            and msg.delta.new_element.WhichOneof("type") == "metric"
        ):
            _log("receipt", self.id, time.monotonic(), msg.delta.new_element.metric.body)
        _enqueue(self, msg)

    _on_event = app_session.AppSession._on_scriptrunner_event

    def on_scriptrunner_event(self: Any, sender: Any, event: Any, *args: Any, **kwargs: Any) -> None:
        if event.name == "SCRIPT_STARTED":
            _log("run", self.id, time.monotonic())
        _on_event(self, sender, event, *args, **kwargs)

    app_session.AppSession.handle_backmsg = handle_backmsg  # type: ignore[method-assign]
    app_session.AppSession._enqueue_forward_msg = enqueue_forward_msg  # type: ignore[method-assign]
    app_session.AppSession._on_scriptrunner_event = on_scriptrunner_event  # type: ignore[method-assign]

    # The contribution service itself (validation, rate limit, insert, commit with fsync), per session.
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    # At start-up the app's directory is not on sys.path yet: the repository root is two levels up.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from services import contributions

    _submit = contributions.submit_from_device

    def submit_from_device(**kwargs: Any) -> Any:
        ctx = get_script_run_ctx()
        session = ctx.session_id if ctx else "?"
        _log("submit", session, time.monotonic())
        try:
            return _submit(**kwargs)
        finally:
            _log("stored", session, time.monotonic())

    contributions.submit_from_device = submit_from_device  # type: ignore[assignment]  # the probe wraps any signature
