"""One JSON line per page run: its page, duration and outcome, whatever ends the run."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pythonjsonlogger.json import JsonFormatter
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

from ui.run_log import page_run_logged


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("{message}", style="{", timestamp="time"))
    logger = logging.getLogger("ess.run")
    logger.addHandler(handler)
    yield out
    logger.removeHandler(handler)


def _outcome(out: io.StringIO) -> dict[str, object]:
    line: dict[str, object] = json.loads(out.getvalue().splitlines()[-1])
    return line


@pytest.mark.parametrize(
    ("error", "outcome"),
    [(None, "ok"), (RerunException(RerunData()), "rerun"), (StopException(), "stop"), (KeyError("x"), "exception")],
)
def test_each_way_a_run_ends_has_its_outcome_and_the_error_goes_on(
    lines: io.StringIO, error: BaseException | None, outcome: str
) -> None:
    try:
        with page_run_logged("mes-contributions"):
            if error is not None:
                raise error
    except BaseException as exc:
        assert exc is error
    line = _outcome(lines)
    assert line["event"] == "script" and line["page"] == "/mes-contributions" and line["outcome"] == outcome
    assert isinstance(line["ms"], float) and "time" in line
