"""Browser fixtures: the real app served by `streamlit run` on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
# The 2-core machines are shared with other test runs: waits are generous, never the thing measured.
DEFAULT_TIMEOUT_MS = 20_000
expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
LAPTOP: ViewportSize = {"width": 1280, "height": 900}


@dataclass
class LiveApp:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "ESS_DATABASE_URL": self.database_url}

    def manage(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run manage.py against the same store as the served app."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            input=stdin,
            text=True,
            capture_output=True,
            check=True,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# What the servers run: app.py, or ESS_E2E_ENTRY=asgi.py to drive the same journeys through the ASGI entry point
# (st.App with the health route and the request log) that `make run` and the deployment use.
ENTRY = os.environ.get("ESS_E2E_ENTRY", "app.py")


def start_app(
    database_url: str,
    log: Path,
    extra_env: dict[str, str] | None = None,
    *,
    entry: str = ENTRY,
    port: int | None = None,
) -> LiveApp:
    """Start a fresh server process (fresh = no session has run app.py yet) on `port` (a free one by default) and
    wait until healthy."""
    port = port or _free_port()
    env = {**os.environ, "ESS_DATABASE_URL": database_url, **(extra_env or {})}
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            entry,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"le serveur s'est arrêté : {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return LiveApp(url, database_url, process, log)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("le serveur n'a pas répondu en 30 s")


def stop_app(app: LiveApp) -> None:
    app.process.terminate()
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()


@pytest.fixture
def live_app(sqlite_url: str, tmp_path: Path) -> Iterator[LiveApp]:
    """A freshly started server on this test's own SQLite store."""
    app = start_app(sqlite_url, tmp_path / "streamlit.log")
    yield app
    stop_app(app)


@pytest.fixture(scope="module")
def module_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """One freshly started server for a whole test module, on its own copy of the migrated store."""
    from tests.conftest import copy_sqlite

    folder = tmp_path_factory.mktemp("module-app")
    copy_sqlite(sqlite_template, folder / "ess.db")
    app = start_app(f"sqlite:///{folder / 'ess.db'}", folder / "streamlit.log")
    yield app
    stop_app(app)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium introuvable : lancez `make test`, qui installe le paquet Debian `chromium`.")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _context(browser: Browser, **options: object) -> BrowserContext:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = _context(browser, viewport=LAPTOP, locale="fr-FR")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = _context(browser, viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
    pg = context.new_page()
    yield pg
    context.close()


# Streamlit's root element carries the session's state: `data-test-script-state` is "initial" until the first run,
# "running" / "rerunRequested" during one, "notRunning" once it is over; `data-test-connection-state` is CONNECTED
# while the websocket is up. (The status widget is no such signal: Streamlit 1.67 shows it only after 500 ms of a
# run, as an icon and a « Stop » button, and never with the text "Running".)
APP_IDLE = "[data-testid=stApp][data-test-script-state=notRunning][data-test-connection-state=CONNECTED]"


def wait_for_app(page: Page, timeout: float = 20_000) -> None:
    """Wait until Streamlit has finished the current run (connected, script not running, main block present)."""
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout)
    page.wait_for_selector("[data-testid=stMain]", timeout=timeout)
    page.wait_for_timeout(300)


STAFF_PASSWORD = "un-mot-de-passe-solide-2016"


def staff_login(page: Page, app: LiveApp, username: str, *, role: str = "staff", menu_entry: str) -> None:
    """Create a staff account on the served store, sign in from the home page, wait for `menu_entry`."""
    app.manage(
        "create-user", username, "--role", role, "--password-stdin", "--name", username.title(),
        stdin=STAFF_PASSWORD + "\n",
    )  # fmt: skip
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Conférence régionale de l'ESS")).to_be_visible()
    wait_for_app(page)
    if not page.get_by_role("textbox", name="Identifiant").is_visible():
        page.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True).click()
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    wait_for_app(page)
    expect(menu(page).get_by_text(menu_entry, exact=True)).to_be_visible()


def menu(page: Page) -> Locator:
    """The side menu: Streamlit's own for a participant (one section), the app's for staff (ui/navigation.py)."""
    return page.locator("[data-testid=stSidebarNav], .st-key-ess_menu")


def open_menu_page(page: Page, title: str, heading_name: str | None = None) -> None:
    """Open a page from the side menu and wait for its heading (the menu title unless told otherwise)."""
    heading = page.get_by_role("heading", name=heading_name or title, exact=True)
    for _ in range(3):  # on a saturated machine a click can land during a rerun and be dropped: click again
        menu(page).get_by_text(title, exact=True).click()
        wait_for_app(page, timeout=40_000)
        try:
            expect(heading).to_be_visible()
            return
        except AssertionError:
            continue
    expect(heading).to_be_visible()
