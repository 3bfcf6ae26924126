"""Capture the organisers' live dashboard (laptop, 1280 × 900, and the whole page) and the room's screen (1920 × 1080).

Run from the repository root: `.venv/bin/python docs/screenshots/capture_live.py`.
It starts the app on a throwaway store holding the demo day and an organiser account; nothing touches
data/ess.db. Pages are reached through the menu, as an organiser would after logging in.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, LAPTOP, start_app, stop_app, wait_for_app  # noqa: E402

# An example address, so the QR code and the address under it read as they would on the day.
BASE_URL = "https://ess-conference.example.fr"
PROJECTOR = {"width": 1920, "height": 1080}
PASSWORD = "capture-des-ecrans-2016"  # noqa: S105  (a throwaway store, deleted at the end)


def _store(directory: Path) -> str:
    url = f"sqlite:///{directory / 'ess.db'}"
    env = {"ESS_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    for command, stdin in (
        (["migrate"], None),
        (["seed-demo"], None),
        (
            ["create-user", "orga", "--role", "organizer", "--password-stdin", "--name", "Équipe d'organisation"],
            PASSWORD,
        ),
    ):
        subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            input=(stdin + "\n") if stdin else None,
            text=True,
            check=True,
            capture_output=True,
        )
    return url


def _login(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, timeout=60_000)
    if not page.get_by_role("textbox", name="Identifiant").is_visible():
        page.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True).click()
    page.get_by_role("textbox", name="Identifiant").fill("orga")
    page.get_by_role("textbox", name="Mot de passe").fill(PASSWORD)
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    wait_for_app(page, timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Tableau de bord").wait_for(timeout=60_000)


def _charts_drawn(page: Page, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg').length >= {count * 2}",
        timeout=120_000,
    )
    page.wait_for_timeout(2_000)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(_store(Path(tmp)), Path(tmp) / "streamlit.log", extra_env={"ESS_BASE_URL": BASE_URL})
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                page = browser.new_page(viewport=LAPTOP, locale="fr-FR")
                _login(page, app.url)
                page.get_by_test_id("stSidebarNav").get_by_role("link", name="Tableau de bord").click()
                _charts_drawn(page, 13)
                page.screenshot(path=OUT / "dashboard.png")
                height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
                page.set_viewport_size({"width": LAPTOP["width"], "height": height + 50})
                page.wait_for_timeout(2_000)
                page.screenshot(path=OUT / "dashboard-full.png")

                page.set_viewport_size(LAPTOP)
                page.get_by_test_id("stSidebarNav").get_by_role("link", name="Écran de la salle").click()
                page.set_viewport_size(PROJECTOR)
                _charts_drawn(page, 2)
                page.wait_for_function(  # the QR code, loaded
                    "() => { const imgs = [...document.querySelectorAll('[data-testid=stImage] img')];"
                    " return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
                    timeout=60_000,
                )
                page.wait_for_timeout(1_000)
                page.screenshot(path=OUT / "projector.png")
                browser.close()
        finally:
            stop_app(app)
    print(f"Écrit : {OUT / 'dashboard.png'}, {OUT / 'dashboard-full.png'}, {OUT / 'projector.png'}")


if __name__ == "__main__":
    main()
