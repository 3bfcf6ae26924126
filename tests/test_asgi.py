"""asgi.py and core.logs: the health route and the JSON log lines, on a real server started the deployment's way.

The lines must say what happened (method, path, status, duration, replica; the websocket's open and close; each
page run) and nothing personal: no query string (receipt and passport codes travel there), no cookie, no
network address.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Subprotocol

from core.logs import RequestLogMiddleware, clean_path
from tests.conftest import copy_sqlite

ROOT = Path(__file__).resolve().parents[1]
SECRET = "RECU-7Q4K"  # a receipt code, as it travels in a query string
COOKIE = "ess_device=jeton-secret-du-telephone"


def _lines(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def _nothing_personal(text: str) -> None:
    assert SECRET not in text
    assert "jeton-secret" not in text
    assert "ess_device" not in text
    # No client address: uvicorn's own access lines (HTTP and websocket) are off, ours carry none.
    assert '"GET ' not in text and '"WebSocket ' not in text
    assert all("127.0.0.1" not in json.dumps(line) for line in _lines(text))


# --- the middleware alone, on a bare ASGI app --------------------------------------------------------------------


class _Keep(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _run_middleware(scope: dict[str, Any], inbound: list[dict[str, Any]], app: Any) -> list[logging.LogRecord]:
    records: list[logging.LogRecord] = []
    handler = _Keep(records)
    logger = logging.getLogger("ess.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return inbound.pop(0) if inbound else {"type": "websocket.disconnect", "code": 1001}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    try:
        asyncio.run(RequestLogMiddleware(app)(scope, receive, send))
    finally:
        logger.removeHandler(handler)
    return records


def test_an_http_line_has_the_path_without_query_and_no_header_or_address() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/mes-contributions",
        "query_string": f"code={SECRET}".encode(),
        "headers": [(b"cookie", COOKIE.encode())],
        "client": ("203.0.113.9", 51000),
    }
    (record,) = _run_middleware(scope, [], app)
    fields = {k: v for k, v in vars(record).items() if k in {"event", "method", "path", "status", "ms"}}
    assert fields["event"] == "http" and fields["method"] == "GET" and fields["status"] == 404
    assert fields["path"] == "/mes-contributions" and isinstance(fields["ms"], float)
    assert "203.0.113.9" not in json.dumps(vars(record), default=str)
    _nothing_personal(json.dumps(vars(record), default=str))


def test_a_failing_request_is_logged_as_500_and_the_error_goes_on() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        _run_middleware({"type": "http", "method": "POST", "path": "/x"}, [], app)


def test_a_websocket_gives_an_open_and_a_close_line_with_its_duration() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()  # the phone goes away

    scope = {"type": "websocket", "path": "/_stcore/stream", "query_string": b"", "client": ("203.0.113.9", 1)}
    records = _run_middleware(scope, [{"type": "websocket.connect"}], app)
    assert [r.event for r in records] == ["websocket.open", "websocket.close"]  # type: ignore[attr-defined]
    close = vars(records[1])
    assert close["opened"] is True and close["code"] == 1001 and close["ms"] >= 0
    assert "203.0.113.9" not in json.dumps(vars(records[0]) | close, default=str)


def test_a_path_is_cut_at_its_query_and_bounded() -> None:
    assert clean_path(f"/stand?code=S01&recu={SECRET}") == "/stand"
    assert len(clean_path("/" + "a" * 500)) == 200


# --- a real server: uvicorn asgi:app, as deployed --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    db = tmp_path / "ess.db"
    copy_sqlite(sqlite_template, db)
    log = tmp_path / "server.err"
    port = _free_port()
    env = {**os.environ, "ESS_DATABASE_URL": f"sqlite:///{db}", "ESS_REPLICA": "replique-a"}
    # Started from another folder, as a service unit may: asgi.py finds app.py and .streamlit/ by itself.
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT), "asgi:app", "--port", str(port)]
    with log.open("wb") as err:
        process = subprocess.Popen([*command, "--host", "127.0.0.1"], cwd=tmp_path, env=env, stderr=err)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert process.poll() is None, log.read_text(errors="replace")[-2000:]
                try:
                    if _get(f"{url}/_stcore/health")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            yield url, db, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


async def _open_a_page(url: str) -> None:
    """What a phone's browser does first: the websocket, then one run of the page (its query string included)."""
    rerun = BackMsg()
    rerun.rerun_script.query_string = f"code={SECRET}"
    rerun.rerun_script.page_name = ""
    ws_url = url.replace("http://", "ws://") + f"/_stcore/stream?code={SECRET}"
    async with websockets.connect(
        ws_url, subprotocols=[Subprotocol("streamlit")], additional_headers={"Cookie": COOKIE}, max_size=None
    ) as ws:
        await ws.send(rerun.SerializeToString())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the first run imports the app: seconds on a loaded machine
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=60))
            if message.WhichOneof("type") == "script_finished":
                return
        raise AssertionError("the page's run did not finish")


@pytest.mark.slow
def test_the_real_server_answers_its_health_and_logs_one_clean_line_per_outcome(
    server: tuple[str, Path, Path],
) -> None:
    url, db, log = server
    status, headers, body = _get(f"{url}/_ess/sante?depuis=sonde", {"Cookie": COOKIE})
    assert status == 200, body
    answer = json.loads(body)
    assert answer["base"] == "ok" and isinstance(answer["ms"], float)
    assert headers["cache-control"] == "no-store, max-age=0"
    assert _get(f"{url}/mes-contributions?code={SECRET}", {"Cookie": COOKIE})[0] == 200
    asyncio.run(_open_a_page(url))

    # The store loses its probe table (as a store that cannot take the write): 503, and nothing said of why.
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE healthprobe")
    status, headers, body = _get(f"{url}/_ess/sante")
    assert status == 503 and json.loads(body)["base"] == "erreur"
    assert headers["cache-control"] == "no-store, max-age=0"
    assert b"migrate" not in body

    time.sleep(1)  # the websocket's close line is written as the server notices the phone went away
    text = log.read_text(encoding="utf-8")
    lines = _lines(text)
    assert {line["replica"] for line in lines} == {"replique-a"}
    http = [(line["method"], line["path"], line["status"]) for line in lines if line.get("event") == "http"]
    assert ("GET", "/_ess/sante", 200) in http and ("GET", "/_ess/sante", 503) in http
    assert ("GET", "/mes-contributions", 200) in http
    events = [line.get("event") for line in lines]
    assert "websocket.open" in events and "websocket.close" in events
    (script,) = [line for line in lines if line.get("event") == "script"]
    assert script["outcome"] == "ok" and script["page"].startswith("/") and script["ms"] > 0
    health_line = next(line for line in lines if line.get("event") == "health")
    assert "migrate" in health_line["message"]  # the cause is for the person on call, in the log only
    _nothing_personal(text)
