"""Structured logs: one JSON line on stderr per request outcome, per websocket and per page run.

What a line holds is chosen so that it carries no personal data: the method, the path WITHOUT its query string
(receipt and passport codes travel in query strings), the status, the duration and the replica's name
(ESS_REPLICA). Never a network address, a cookie, a header or a user name. The stdlib's logging with
python-json-logger's formatter: a collector (journald, Loki, an ELK stack) reads the lines as they come.

`RequestLogMiddleware` is a plain ASGI middleware (asgi.py puts it in front of Streamlit's own): it imports
neither Streamlit nor the domain.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from pythonjsonlogger.json import JsonFormatter

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "ess"
ACCESS = logging.getLogger("ess.access")
RUNS = logging.getLogger("ess.run")
MAX_PATH = 200
_configured = threading.Lock()
_done: list[bool] = []


def replica_name() -> str:
    """The name this process reports (ESS_REPLICA, set per replica by its service unit), else `app`."""
    return os.environ.get("ESS_REPLICA", "").strip() or "app"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the sys.stderr of the moment (a test runner swaps it), not the one seen at set-up."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(stream: Any = None) -> logging.Logger:
    """Send the `ess.*` loggers to stderr as JSON lines, once per process (idempotent)."""
    root = logging.getLogger(LOGGER)
    with _configured:
        if _done:
            return root
        handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
        handler.setFormatter(
            JsonFormatter(
                "{message}",
                style="{",
                timestamp="time",  # ISO 8601, UTC
                static_fields={"replica": replica_name()},
                json_ensure_ascii=False,
            )
        )
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        # Streamlit configures its own loggers; ours do not go through the root's handlers twice.
        root.propagate = False
        _done.append(True)
    return root


def clean_path(path: str) -> str:
    """The path alone, bounded: a query string never reaches a log line (scope['path'] has none already)."""
    return path.split("?", 1)[0][:MAX_PATH]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


class RequestLogMiddleware:
    """One line per HTTP response (`http`) and two per websocket (`websocket.open`, `websocket.close`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # an exception before any response is a server error

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            ACCESS.info(
                "http",
                extra={
                    "event": "http",
                    "method": scope.get("method", ""),
                    "path": clean_path(scope.get("path", "")),
                    "status": status,
                    "ms": _ms(started),
                },
            )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        path = clean_path(scope.get("path", ""))
        opened = False
        close_code: int | None = None

        async def tracked_send(message: Message) -> None:
            nonlocal opened, close_code
            if message["type"] == "websocket.accept" and not opened:
                opened = True
                ACCESS.info("websocket.open", extra={"event": "websocket.open", "path": path})
            elif message["type"] == "websocket.close":
                close_code = int(message.get("code", 1000))
            await send(message)

        async def tracked_receive() -> Message:
            nonlocal close_code
            message = await receive()
            if message["type"] == "websocket.disconnect" and close_code is None:
                close_code = int(message.get("code", 1005))
            return message

        try:
            await self.app(scope, tracked_receive, tracked_send)
        finally:
            ACCESS.info(
                "websocket.close",
                extra={
                    "event": "websocket.close",
                    "path": path,
                    "opened": opened,
                    "code": close_code,
                    "ms": _ms(started),
                },
            )
