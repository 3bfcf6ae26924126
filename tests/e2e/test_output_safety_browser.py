"""Hostile text on every page in a real Chromium: nothing runs, nothing is fetched, nothing is linked or styled.

The contribution page's own case (typing it in) is tests/e2e/test_contribute_browser.py; here the store
is seeded with the same payloads everywhere a user's words can reach (tests/fixtures/hostile.py) and
every page is opened by a participant's phone (with its device cookie) and by an admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Dialog, Page, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from db.engine import build_engine
from tests.conftest import copy_sqlite
from tests.e2e.conftest import PHONE, LiveApp, start_app, stop_app, wait_for_app
from tests.e2e.test_access_browser import logged_in_page
from tests.fixtures.hostile import STAND_CODE, HostileStore, seed_hostile_store
from ui.navigation import PAGES
from ui.tallies import DETAIL_TABS, TAB_PARAM

pytestmark = pytest.mark.browser

# Pages where the seeded text must be on screen (as text), by who looks.
PHONE_SHOWS = {"mes-contributions", "stand", "ptce"}
ADMIN_SHOWS: set[str] = set()  # staff pages hold it in canvas-drawn tables: proven by the AppTest twin
# Anything the payloads would create if they were interpreted, anywhere in the document.
ACTIVE_JS = """() => {
  const bad = [];
  for (const a of document.querySelectorAll('a[href]'))
    if (/^\\s*(javascript|data):/i.test(a.getAttribute('href'))) bad.push(a.outerHTML);
  for (const i of document.querySelectorAll('img')) {
    const src = i.getAttribute('src') || '';
    if (src === 'x' || src.includes('example.invalid')) bad.push(i.outerHTML);
  }
  for (const s of document.querySelectorAll('script'))
    if ((s.textContent || '').includes('alert(1)')) bad.push('<script>alert(1)');
  for (const e of document.querySelectorAll('strong, b, em, i, mark'))
    if (['gras', 'rouge'].includes(e.textContent.trim())) bad.push(e.outerHTML);
  for (const e of document.querySelectorAll('span'))
    if (e.textContent.trim() === 'rouge' && e.parentElement
        && getComputedStyle(e).color !== getComputedStyle(e.parentElement).color) bad.push('rouge coloré');
  return bad;
}"""


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveApp, HostileStore]]:
    folder = tmp_path_factory.mktemp("hostile")
    copy_sqlite(sqlite_template, folder / "ess.db")
    url = f"sqlite:///{folder / 'ess.db'}"
    engine = build_engine(url)
    store = seed_hostile_store(engine)
    engine.dispose()
    app = start_app(url, folder / "streamlit.log")
    yield app, store
    stop_app(app)


class Watch:
    """Dialogs opened and requests sent to the outside by one page, over its whole life."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", self._request)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Request) -> None:
        if "example.invalid" in request.url or request.url.startswith(("javascript:", "data:text/html")):
            self.outside.append(request.url)


def check(page: Page, url: str, must_show: bool, who: str, charts: int = 0) -> list[str]:
    page.goto(url)
    wait_for_app(page)
    if charts:  # the page's Plotly charts drawn (their labels hold what people typed: stands, orientations)
        expect(page.locator("[data-testid=stPlotlyChart] .js-plotly-plot")).to_have_count(charts)
    # The page's own first element (a title, the room screen's metric, a stand's name): the page is drawn.
    try:
        page.locator("[data-testid=stMain] :is(h1, [data-testid=stMetric], [data-testid=stText])").first.wait_for()
    except PlaywrightTimeoutError:
        return [f"{who} {url} : page jamais dessinée ; {page.locator('body').inner_text()[:300]!r}"]
    wait_for_app(page)
    page.wait_for_timeout(400)  # time for a broken image's onerror, were one ever drawn
    problems = [f"{who} {url} : {item}" for item in page.evaluate(ACTIVE_JS)]
    # text_content, not inner_text: folded expanders still hold the text; tables are drawn on a canvas,
    # so pages whose text sits only in a dataframe are proven by the AppTest twin of this test.
    if must_show and ":red[rouge]" not in (page.get_by_test_id("stMain").text_content() or ""):
        problems.append(f"{who} {url} : le texte saisi n'est pas affiché tel quel")
    return problems


def test_no_page_runs_fetches_links_or_styles_what_people_typed(
    seeded: tuple[LiveApp, HostileStore], browser: Browser
) -> None:
    app, store = seeded
    problems: list[str] = []

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR")
    context.add_cookies([{"name": "ess_device_pays-de-la-loire-2016", "value": store.device_token, "url": app.url}])
    phone = context.new_page()
    watch = Watch(phone)
    for spec in [p for p in PAGES if p.permission is None]:
        query = f"?code={STAND_CODE}" if spec.url_path == "stand" else ""
        problems += check(phone, f"{app.url}/{spec.url_path}{query}", spec.url_path in PHONE_SHOWS, "téléphone")
    context.close()

    admin = logged_in_page(browser, app, "admin")
    watch_admin = Watch(admin)
    for spec in [p for p in PAGES if p.permission is not None]:
        problems += check(admin, f"{app.url}/{spec.url_path}", spec.url_path in ADMIN_SHOWS, "admin")
    # The live page's other tabs of detailed charts (origins, orientations, words, stands), each with the bars per
    # theme: 1 + 3, 1 + 1, 1 + 5, 1 + 2 Plotly charts.
    for tab, charts in zip(DETAIL_TABS[1:], (4, 2, 6, 3), strict=True):
        problems += check(admin, f"{app.url}/direct?{urlencode({TAB_PARAM: tab})}", False, "admin", charts)
    admin.context.close()

    assert problems == [], "\n".join(problems)
    assert watch.dialogs == [] and watch_admin.dialogs == []
    assert watch.outside == [] and watch_admin.outside == []
