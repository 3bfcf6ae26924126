"""The deployment tests drive Debian's Chromium with the browser tests' own fixture."""

from tests.e2e.conftest import browser  # noqa: F401  (a fixture, found by pytest under this name)
