"""Bench-only timings inside the Streamlit server, for bench_room: each rerun's time on the server.

bench_room starts the server with PYTHONPATH=bench/probe_room and ESS_ROOM_PROBE=<file>; Python imports this
module at start-up. Per session, from the moment a `rerun_script` BackMsg reaches the session (the websocket
frame parsed) to the moment its run's `script_finished` is queued for the phone: one line
`<wall clock at arrival>\t<seconds>\t<session id>\t<full|fragment>` per finished run. A message that arrives
while a run is going on cuts it short (Streamlit reruns): the time counts from the first message still
unanswered. Without the variable it does nothing; the app never imports it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

_LOG = os.environ.get("ESS_ROOM_PROBE")

if _LOG:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime import app_session

    _lock = threading.Lock()
    _out = open(_LOG, "a", buffering=1, encoding="utf-8")  # noqa: SIM115  (open for the server's lifetime)
    _pending: dict[str, tuple[float, float, str]] = {}  # session id -> (wall, monotonic, kind)
    _DONE = {
        ForwardMsg.FINISHED_SUCCESSFULLY,
        ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
        ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
    }
    _handle_backmsg = app_session.AppSession.handle_backmsg
    _enqueue = app_session.AppSession._enqueue_forward_msg

    def handle_backmsg(self: Any, msg: Any) -> None:
        if msg.WhichOneof("type") == "rerun_script":
            kind = "fragment" if msg.rerun_script.fragment_id else "full"
            with _lock:
                _pending.setdefault(self.id, (time.time(), time.monotonic(), kind))
        _handle_backmsg(self, msg)

    def enqueue_forward_msg(self: Any, msg: Any) -> None:
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished in _DONE:
            with _lock:
                started = _pending.pop(self.id, None)
                if started is not None:
                    wall, mono, kind = started
                    _out.write(f"{wall:.3f}\t{time.monotonic() - mono:.4f}\t{self.id}\t{kind}\n")
        _enqueue(self, msg)

    app_session.AppSession.handle_backmsg = handle_backmsg  # type: ignore[method-assign]
    app_session.AppSession._enqueue_forward_msg = enqueue_forward_msg  # type: ignore[method-assign]
