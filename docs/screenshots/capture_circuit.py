"""Capture the treasure hunt on a phone: a stand's page, the passport midway and with the treasure, the PTCE map.

Run from the repository root: `.venv/bin/python docs/screenshots/capture_circuit.py`.
It starts the app on a throwaway store (migrations + reference data); nothing touches data/ess.db.
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

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE, start_app, stop_app, wait_for_app  # noqa: E402


def _store(directory: Path) -> str:
    url = f"sqlite:///{directory / 'ess.db'}"
    env = {"ESS_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "manage.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def _shot(page: Page, name: str, heading: str) -> None:
    """Wait until the page's own heading is drawn (wait_for_app can return before the first paint)."""
    page.get_by_role("heading", name=heading).wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=OUT / name)


def _visit(page: Page, url: str, code: str) -> None:
    page.goto(f"{url}/stand?code={code}")
    wait_for_app(page)
    page.get_by_role("button", name="J'ai visité ce stand").click()
    wait_for_app(page)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(_store(Path(tmp)), Path(tmp) / "streamlit.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
                page = context.new_page()
                page.goto(f"{app.url}/stand?code=S04")
                wait_for_app(page)
                page.get_by_text("Les Ecossolies et leur incubateur").wait_for()
                page.wait_for_timeout(1000)
                page.screenshot(path=OUT / "stand-phone.png")
                for code in ("S04", "S07"):
                    _visit(page, app.url, code)
                page.goto(f"{app.url}/passeport")
                wait_for_app(page)
                _shot(page, "passport-phone.png", "Mon passeport")
                page.goto(f"{app.url}/stand?code=S99")
                wait_for_app(page)
                _shot(page, "stand-unknown-phone.png", "Stand introuvable")
                page.goto(f"{app.url}/ptce")
                wait_for_app(page)
                _shot(page, "ptce-phone.png", "Les PTCE de la région")
                browser.close()
        finally:
            stop_app(app)


if __name__ == "__main__":
    main()
