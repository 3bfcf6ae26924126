"""What several benchmarks share: quantiles and French figures, the seeded store, the phones' plumbing.

Every benchmark imports these by their public names (they used to reach into bench_submit's underscores).
"""

from __future__ import annotations

import base64
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert

from services.formatting import format_number

ROOT = Path(__file__).resolve().parent.parent
# Contributions already in the store before a benchmark starts (a busy conference day).
BACKGROUND = 2_000


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by the nearest rank (what the RESULTS tables call p50 / p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    """Seconds as French milliseconds: one decimal under 100 ms, none above (« 8,5 », « 1 234 »)."""
    return format_number(seconds * 1000, 1 if seconds < 0.1 else 0)


def fr(value: float, digits: int = 1) -> str:
    """A figure in French form (« 12,5 », « 152 500 »)."""
    return format_number(value, digits)


def demo_texts() -> list[str]:
    items = yaml.safe_load((ROOT / "assets" / "demo" / "contributions.yaml").read_text(encoding="utf-8"))
    return [str(i["text"]) for i in items["contributions"]]


def prepare_store(path: Path) -> str:
    """A migrated SQLite store at `path` with the reference data and BACKGROUND contributions; its URL."""
    return prepare_store_at(f"sqlite:///{path}")


def prepare_store_at(url: str) -> str:
    """prepare_store on any store URL (an empty PostgreSQL database as well): migrated, reference data,
    BACKGROUND contributions (Core inserts, seeded); the URL."""
    from db.engine import build_engine
    from models import Contribution
    from services.bootstrap import prepare_store

    engine = build_engine(url)
    prepare_store(engine)
    rng = random.Random(2016)  # reproducible, not a secret
    texts = demo_texts()
    start = datetime(2016, 6, 28, 7, 0, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for n in range(BACKGROUND):
        at = start + timedelta(seconds=rng.uniform(0, 8 * 3600))
        rows.append(
            {
                "receipt_code": f"BG{n:06d}",
                "idempotency_key": f"bench-bg-{n:06d}",
                "theme_id": rng.randint(1, 5),
                "body": f"{rng.choice(texts)} (variante {n})",
                "title": "",
                "source": "conference",
                "status": rng.choice(["published", "published", "pending"]),
                "display_mode": "anonymous",
                "created_at": at,
                "updated_at": at,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Contribution), rows)
    engine.dispose()
    return url


async def record_ws_frames(page: Any) -> list[tuple[float, str, str]]:
    """The page's websocket frames as (timestamp, "sent"/"recv", base64 payload), appended as they pass.

    The browser's network layer timestamps every frame: the wire and the server, without the renderer.
    """
    frames: list[tuple[float, str, str]] = []
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    cdp.on("Network.webSocketFrameSent", lambda e: frames.append((e["timestamp"], "sent", "")))
    cdp.on(
        "Network.webSocketFrameReceived",
        lambda e: frames.append((e["timestamp"], "recv", e["response"].get("payloadData", ""))),
    )
    return frames


def decode(payload: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=False)
    except ValueError:
        return payload.encode()


def server_times(probe: Path, shown: set[str]) -> dict[str, list[float]]:
    """Inside the server, per receipt shown on a phone: the tap's message arriving → receipt queued,
    split into the wait for the rerun, the contribution service (checks, insert, commit with its fsync)
    and the drawing of the page up to the receipt (see bench/probe/sitecustomize.py)."""
    parts: dict[str, list[float]] = {"total": [], "queue": [], "service": [], "render": []}
    if not probe.exists():
        return parts
    events: dict[str, list[tuple[float, str, str]]] = {}
    for line in probe.read_text(encoding="utf-8").splitlines():
        kind, session, stamp, *rest = line.split("\t")
        events.setdefault(session, []).append((float(stamp), kind, rest[0] if rest else ""))
    for timeline in events.values():
        timeline.sort()
        for index, (at, kind, code) in enumerate(timeline):
            if kind != "receipt" or code not in shown:
                continue
            clicks = [t for t, k, _ in timeline[:index] if k == "click"]
            if not clicks:
                continue
            after = [(t, k) for t, k, _ in timeline[:index] if t >= clicks[-1]]
            runs = [t for t, k in after if k == "run"]
            submits = [t for t, k in after if k == "submit"]
            stored = [t for t, k in after if k == "stored"]
            parts["total"].append(at - clicks[-1])
            if runs and submits and stored:
                parts["queue"].append(runs[0] - clicks[-1])
                parts["service"].append(stored[0] - submits[0])
                parts["render"].append(at - stored[0])
    return parts


def renice_browsers(server_pid: int, value: int = 10) -> int:
    """Lower the CPU priority of this process's descendants except the server: the phones' share of the
    2 cores, not the server's, is what a real room would not have (each phone has its own processor).

    Every thread of each process: on Linux a nice value belongs to a thread, and Chromium runs its
    compositor, raster and I/O threads at 0 or -8 (display-critical), above the server, whatever the
    process's main thread was given. Threads Chromium starts later may take its own values again.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    reniced, stack = 0, list(children.get(os.getpid(), []))
    while stack:
        pid = stack.pop()
        if pid == server_pid:
            continue
        try:
            threads = [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
        except OSError:
            threads = [pid]
        for tid in threads:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, value)
                reniced += 1
            except OSError:
                pass
        stack.extend(children.get(pid, []))
    return reniced


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# The tap a thumb makes on a Streamlit button, by its label (see bench_submit and bench_load).
TAP_JS = """
(button, expected) => new Promise((resolve) => {
  const box = button.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const t0 = performance.now();
  // The receipt of *this* contribution: its code, next to the very text just sent (never a stale one).
  const check = () => {
    const code = document.querySelector('[data-testid=stMetricValue]');
    if (!code || code.getBoundingClientRect().height === 0) return;
    const texts = [...document.querySelectorAll('[data-testid=stText]')].map((e) => e.innerText.trim());
    if (!texts.includes(expected)) return;
    observer.disconnect();
    resolve({ ms: performance.now() - t0, code: code.innerText.trim() });
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  if (document.activeElement) document.activeElement.blur();
  setTimeout(() => {
    const target = document.elementFromPoint(x, y);
    if (!target || !target.closest('button') || !target.closest('button').innerText.includes('Envoyer')) {
      observer.disconnect();
      resolve({ ms: null, missed: target ? target.innerText.slice(0, 40) : '' });
    } else target.closest('button').click();
  }, 60);
  setTimeout(() => { observer.disconnect(); resolve({ ms: null }); }, 60000);
})
"""


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def view_page(ws: Any, page: str, query: str, mark: bytes) -> float:
    """Ask an open Streamlit websocket for `page` (a `rerun_script`, as the frontend sends) and read until the
    run's `script_finished`; the seconds from the request to it. Fails if `mark` was never sent (the page did
    not draw what it should). A run cut short for another rerun is not the end (bench.protocol has the rest)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    request = BackMsg()
    request.rerun_script.query_string = query
    request.rerun_script.page_name = page
    started = time.perf_counter()
    await ws.send(request.SerializeToString())
    seen = False
    while True:
        raw = await ws.recv()
        data = raw if isinstance(raw, bytes) else raw.encode()
        seen = seen or mark in data
        message = ForwardMsg()
        message.ParseFromString(data)
        if message.WhichOneof("type") == "script_finished" and message.script_finished in (
            ForwardMsg.FINISHED_SUCCESSFULLY,
            ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
        ):
            elapsed = time.perf_counter() - started
            if not seen:
                raise RuntimeError(f"page {page} : {mark!r} jamais envoyé")
            return elapsed
