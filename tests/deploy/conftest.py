"""Debian's Chromium for the deployment tests, launched per module and closed with it.

Not tests/e2e's session-wide `browser`: Playwright's sync API runs one instance per thread at a time, and `make test`
runs these tests and the browser journeys in one process; tests/deploy sorts first, so its browser is closed before
tests/e2e launches theirs.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium introuvable : lancez `make test`, qui installe le paquet Debian `chromium`.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
