"""The app as an ASGI application (Streamlit's st.App on starlette/uvicorn), with what operations need around it.

- `GET /_ess/sante`: the store's health, a real write-and-read round trip (services.health), as JSON
  `{"base": "ok"|"erreur", "ms": …}` with 200 or 503, never cached: for the proxy and the monitoring.
- One JSON line per request outcome and per websocket on stderr (core.logs), no personal data.

Start it with `streamlit run asgi.py --server.port 8501` (what `make run` does: Streamlit's own flags and
.streamlit/config.toml apply as with app.py) or, behind a proxy, with
`uvicorn asgi:app --host 127.0.0.1 --port 8501` from the project's folder.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import Engine
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.config import get_settings
from core.logs import RequestLogMiddleware, configure_logging, replica_name
from services import health

HEALTH_PATH = "/_ess/sante"
HEALTH_TIMEOUT_S = 3.0
NO_STORE = {"Cache-Control": "no-store, max-age=0"}

configure_logging()
# uvicorn's own access line names the client's address and the query string (receipt codes travel there):
# the JSON line of core.logs replaces it.
logging.getLogger("uvicorn.access").disabled = True


class _NoWebsocketAccessLine(logging.Filter):
    """uvicorn also writes each websocket's address and query string (« WebSocket /_stcore/stream?… [accepted] »)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return '"WebSocket ' not in str(record.msg)


logging.getLogger("uvicorn.error").addFilter(_NoWebsocketAccessLine())
log = logging.getLogger("ess.health")
# Absolute: started by uvicorn from another folder, the app and its .streamlit/config.toml are still found.
SCRIPT = Path(__file__).resolve().with_name("app.py")


@functools.cache
def _probe_engine() -> Engine:
    """The probe's own engine, made at the first check: its waits stop at HEALTH_TIMEOUT_S (services.health)."""
    return health.probe_engine(get_settings().database_url, timeout_s=HEALTH_TIMEOUT_S)


def _check() -> health.HealthReport:
    return health.check_store(_probe_engine(), probe=health.prober_name(replica_name()), timeout_s=HEALTH_TIMEOUT_S)


async def store_health(_request: Request) -> JSONResponse:
    """200 when the store took a write and gave it back, 503 otherwise; nothing else is said to the caller."""
    report = await asyncio.to_thread(_check)
    body = {"base": "ok" if report.ok else "erreur", "ms": round(report.ms, 1)}
    if not report.ok:
        # The cause for the person on call, in the server's log only (a caller learns nothing of the store).
        log.warning(report.message, extra={"event": "health", "detail": report.detail})
    return JSONResponse(body, status_code=200 if report.ok else 503, headers=NO_STORE)


app = st.App(
    SCRIPT,
    routes=[Route(HEALTH_PATH, store_health, methods=["GET"])],
    middleware=[Middleware(RequestLogMiddleware)],
)
