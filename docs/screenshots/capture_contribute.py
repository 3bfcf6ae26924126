"""Capture the contribution form on a phone and the projector's join page (headless Debian Chromium).

Run from the repository root: `.venv/bin/python docs/screenshots/capture_contribute.py`.
It starts the app on a throwaway store holding the demo day, so the screenshots show real suggestions
and a real count; nothing touches data/ess.db.
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

# An example address, so the QR code and the words on the join page read as they would on the day.
BASE_URL = "https://ess-conference.example.fr"
PROJECTOR = {"width": 1280, "height": 720}


def _store(directory: Path) -> str:
    url = f"sqlite:///{directory / 'ess.db'}"
    env = {"ESS_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run(  # noqa: S603  (our own manage.py, fixed arguments)
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    return url


def _contribute(page: Page, url: str) -> None:
    page.goto(f"{url}/contribuer")
    wait_for_app(page)
    page.get_by_role("radio", name="Relations avec les institutions").click()
    wait_for_app(page)
    text = page.get_by_test_id("stTextArea").locator("textarea")
    text.fill(
        "Un dossier de subvention unique et simplifié pour les petites associations, avec un délai de réponse connu."
    )
    text.blur()
    wait_for_app(page)
    page.screenshot(path=OUT / "contribute-phone.png")
    page.get_by_role("button", name="Envoyer ma contribution").click()
    wait_for_app(page)
    page.get_by_test_id("stMetricValue").wait_for()
    page.screenshot(path=OUT / "contribute-receipt-phone.png")


def _join(page: Page, url: str) -> None:
    page.goto(f"{url}/rejoindre")
    wait_for_app(page)
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=stImage] img');"
        " return i && i.complete && i.naturalWidth; }"
    )
    page.get_by_test_id("stMetric").wait_for()
    page.wait_for_timeout(500)
    page.screenshot(path=OUT / "join.png")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ess-screens-") as tmp:
        app = start_app(_store(Path(tmp)), Path(tmp) / "streamlit.log", extra_env={"ESS_BASE_URL": BASE_URL})
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR")
                _contribute(phone.new_page(), app.url)
                projector = browser.new_context(viewport=PROJECTOR, locale="fr-FR")
                _join(projector.new_page(), app.url)
                browser.close()
        finally:
            stop_app(app)
    print(f"Écrit : {OUT / 'contribute-phone.png'}, {OUT / 'contribute-receipt-phone.png'}, {OUT / 'join.png'}")


if __name__ == "__main__":
    main()
