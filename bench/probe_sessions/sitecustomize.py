"""Bench-only look inside the Streamlit server, for bench_sessions.

bench_sessions starts the server with PYTHONPATH=bench/probe_sessions and ESS_BENCH_SESSIONS_PROBE=<folder>.
A thread then waits for request files in that folder: `<name>.gc` asks for the live objects counted by
type (after a full collection, so only what is really held), `<name>.prof` starts (`start.prof`) or writes
(`stop.prof`) a profile of every script run (cProfile in each ScriptRunner thread, merged). Each answer is
written beside its request as `<name>.out`; `<name>.tm` dumps a tracemalloc snapshot (the first such request
starts tracing: later snapshots hold what was allocated since and is still alive) and answers with its file.
Without the variable it does nothing; the app never imports it.
"""

from __future__ import annotations

import os

_DIR = os.environ.get("ESS_BENCH_SESSIONS_PROBE")

if _DIR:
    import cProfile
    import gc
    import io
    import pstats
    import sys
    import threading
    import time
    import tracemalloc
    from collections import Counter
    from pathlib import Path
    from typing import Any

    _folder = Path(_DIR)
    _lock = threading.Lock()

    class _State:
        profiling = False
        stats: pstats.Stats | None = None

    def _install_profiler() -> None:
        from streamlit.runtime.scriptrunner import script_runner

        original = script_runner.ScriptRunner._run_script

        def run_script(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not _State.profiling:
                return original(self, *args, **kwargs)
            profile = cProfile.Profile(time.thread_time)  # CPU of this thread, not GIL waits
            profile.enable()
            try:
                return original(self, *args, **kwargs)
            finally:
                profile.disable()
                with _lock:
                    if _State.stats is None:
                        _State.stats = pstats.Stats(profile)
                    else:
                        _State.stats.add(profile)

        script_runner.ScriptRunner._run_script = run_script  # type: ignore[method-assign]

    def _gc_counts() -> str:
        gc.collect()
        counts = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
        return "\n".join(f"{n}\t{name}" for name, n in counts.most_common(400))

    def _tracemalloc_top() -> str:
        gc.collect()
        if not tracemalloc.is_tracing():
            tracemalloc.start(12)  # from now on: what is allocated after this request and still held later
        snapshot = tracemalloc.take_snapshot()
        dump = _folder / f"snapshot-{time.monotonic_ns()}.snap"
        snapshot.dump(str(dump))
        return str(dump)

    def _answer(request: Path) -> str:
        if request.suffix == ".gc":
            return _gc_counts()
        if request.suffix == ".tm":
            return _tracemalloc_top()
        if request.stem == "start":
            with _lock:
                _State.stats, _State.profiling = None, True
            return "started"
        with _lock:
            _State.profiling = False
            if _State.stats is None:
                return "no run"
            out = io.StringIO()
            _State.stats.stream = out  # type: ignore[attr-defined]
            _State.stats.sort_stats("cumulative").print_stats(60)
            _State.stats.sort_stats("tottime").print_stats(40)
            return out.getvalue()

    def _watch() -> None:
        installed = False
        while True:
            if not installed and "streamlit.runtime.scriptrunner.script_runner" in sys.modules:
                _install_profiler()
                installed = True
            for request in sorted(_folder.glob("*.gc")) + sorted(_folder.glob("*.prof")) + sorted(_folder.glob("*.tm")):
                answer = _answer(request)
                request.with_suffix(".out").write_text(answer, encoding="utf-8")
                request.unlink()
            time.sleep(0.1)

    threading.Thread(target=_watch, name="bench-sessions-probe", daemon=True).start()
