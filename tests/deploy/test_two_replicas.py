"""Two app replicas on one PostgreSQL behind a real nginx (deploy/nginx/ess.conf), driven over HTTPS by Chromium.

The module starts and stops everything itself: a throwaway PostgreSQL cluster (tests/pg.py), the store migrated,
two `streamlit run` replicas on free ports, and Debian's nginx with the production site config rendered by
envsubst (a self-signed certificate, free ports, its own prefix, pid and logs in a temporary folder). What only
the test adds, in a snippet the production config includes from a glob: a response header naming the replica
that answered (X-Ess-Upstream), and the client address taken from an X-Test-Client header (nginx's realip
module), so that Chromium's contexts can play phones behind different addresses, as nginx would see them.

A browser context is pinned to a replica as a phone is: by its `ess_route` cookie (a value that hashes to it).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect
from sqlalchemy import create_engine, func, text
from sqlmodel import col, select

from db.engine import build_engine, session_scope
from models import Contribution, HealthProbe, LoginAttempt
from services import auth
from services.bootstrap import prepare_store
from services.permissions import CONSOLE_ACTOR
from tests.deploy.nginx_stack import (
    free_port,
    render_site,
    request,
    route_to,
    start_nginx,
    start_replicas,
    stop_process,
)
from tests.e2e.conftest import (
    DEFAULT_TIMEOUT_MS,
    LAPTOP,
    PHONE,
    LiveApp,
    menu,
    open_menu_page,
    wait_for_app,
)
from tests.pg import own_cluster

pytestmark = [pytest.mark.postgres, pytest.mark.serial]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "un-mot-de-passe-solide-2016"
# Every connection state the page goes through (the reconnection may take less than a polling interval).
WATCH_CONNECTION = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  window.__states = [];
  new MutationObserver(() => window.__states.push(app.getAttribute('data-test-connection-state')))
    .observe(app, {attributes: true, attributeFilter: ['data-test-connection-state']});
}"""
# Small windows, so the throttles fill in a few tries (the same on both replicas, as in production).
REPLICA_ENV = {
    "ESS_LOGIN_MAX_ATTEMPTS": "3",
    "ESS_RESTORE_FAILURES_PER_ADDRESS": "3",
    # One secret for every replica, as deploy/ess.env.example asks: Streamlit signs its XSRF cookie with it, so a
    # phone moved to the other replica (its own died) can still upload.
    "STREAMLIT_SERVER_COOKIE_SECRET": "deux-repliques-un-secret-" + "x" * 40,
}
ROOM = "198.51.100.7"  # the venue's address (documentation range), as nginx sees it
OTHER_ROOM = "198.51.100.8"


@dataclass
class Stack:
    url: str
    http_port: int
    database_url: str
    replicas: dict[str, LiveApp]
    routes: dict[str, str]  # replica name -> an ess_route cookie value that nginx hashes to it
    nginx_log: Path

    def port(self, name: str) -> int:
        return int(self.replicas[name].url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if shutil.which("nginx") is None:
        pytest.fail("nginx introuvable : lancez `make test`, qui installe le paquet Debian `nginx`.")
    root = tmp_path_factory.mktemp("two-replicas")
    with contextlib.ExitStack() as cleanup:
        cluster = cleanup.enter_context(own_cluster())
        admin = create_engine(f"{cluster.url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE ess"))
        admin.dispose()
        database_url = f"{cluster.url}/ess"
        engine = build_engine(database_url)
        prepare_store(engine)
        engine.dispose()
        replicas = start_replicas(
            database_url, root, cleanup, lambda name, _: {**REPLICA_ENV, "ESS_REPLICA": f"app-{name}"}
        )
        https_port, http_port = free_port(), free_port()
        main = render_site(root, https_port, http_port, [int(app.url.rsplit(":", 1)[1]) for app in replicas.values()])
        nginx = start_nginx(root, main, https_port)
        cleanup.callback(stop_process, nginx)
        url = f"https://127.0.0.1:{https_port}"
        routes = {name: route_to(url, int(app.url.rsplit(":", 1)[1])) for name, app in replicas.items()}
        yield Stack(url, http_port, database_url, replicas, routes, root / "logs" / "access.log")


def phone_on(browser: Browser, stack: Stack, replica: str | None, *, address: str = ROOM, laptop: bool = False) -> Page:
    """A browser context pinned to `replica` by its route cookie (None: no cookie yet), behind `address`."""
    options: dict[str, object] = (
        {"viewport": LAPTOP} if laptop else {"viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    context: BrowserContext = browser.new_context(
        **options,  # type: ignore[arg-type]
        locale="fr-FR",
        ignore_https_errors=True,
        extra_http_headers={"X-Test-Client": address},
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    if replica is not None:
        context.add_cookies([{"name": "ess_route", "value": stack.routes[replica], "url": stack.url}])
    return context.new_page()


def contribute(page: Page, stack: Stack, body: str, *, open_form: bool = True) -> str:
    """Send a contribution from the form (opened, unless the page shows it already); the receipt code shown."""
    if open_form:
        page.goto(f"{stack.url}/contribuer")
        wait_for_app(page)
    page.get_by_role("radio", name="Emploi").click()
    wait_for_app(page)
    page.get_by_test_id("stTextArea").locator("textarea").fill(body)
    page.get_by_role("button", name="Envoyer ma contribution").click()
    expect(page.get_by_text("Contribution enregistrée. Merci !")).to_be_visible()
    return page.get_by_test_id("stMetricValue").inner_text().strip()


def record_upstreams(page: Page, stack: Stack) -> list[str]:
    """The replica (X-Ess-Upstream) of every answer nginx gives this page from now on, as they come."""
    seen: list[str] = []

    def note(response: Response) -> None:
        if response.url.startswith(stack.url):
            seen.append(response.headers.get("x-ess-upstream", ""))

    page.on("response", note)
    return seen


def stored_receipts(stack: Stack) -> set[str]:
    engine = build_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            return set(session.exec(select(Contribution.receipt_code)).all())
    finally:
        engine.dispose()


def create_account(stack: Stack, username: str, role: str) -> None:
    engine = build_engine(stack.database_url)
    try:
        with session_scope(engine, write=True) as session:
            auth.create_user(
                session=session, username=username, password=PASSWORD, role=role, name=username, actor=CONSOLE_ACTOR
            )
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------------------------


def test_the_proxy_redirects_to_https_compresses_the_bundle_and_sends_its_headers(stack: Stack) -> None:
    status, headers, _ = request(f"http://127.0.0.1:{stack.http_port}", "/contribuer?x=1", tls=False)
    assert status == 301 and headers["location"] == "https://127.0.0.1/contribuer?x=1"

    status, headers, page = request(stack.url, "/")
    assert status == 200
    assert headers["server"] == "nginx"  # server_tokens off: no version
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert "ess_route=" in headers["set-cookie"] and "Secure" in headers["set-cookie"]
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=Lax" in headers["set-cookie"]

    # The bundle: Streamlit sends it uncompressed, nginx gzips it.
    script = page.decode().split('src="./static/js/', 1)[1].split('"', 1)[0]
    _, plain_headers, plain = request(stack.url, f"/static/js/{script}")
    _, gz_headers, gz = request(stack.url, f"/static/js/{script}", {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain_headers
    assert gz_headers["content-encoding"] == "gzip"
    assert len(gz) < len(plain) / 2, (len(gz), len(plain))


def test_the_health_route_answers_through_the_proxy_from_each_replica(stack: Stack) -> None:
    """GET /_ess/sante through nginx: a write-and-read round trip on the shared store, from either replica."""
    for name, route in stack.routes.items():
        status, headers, body = request(stack.url, "/_ess/sante", {"Cookie": f"ess_route={route}"})
        assert status == 200, body
        assert json.loads(body)["base"] == "ok"
        assert headers["x-ess-upstream"] == stack.replicas[name].url.removeprefix("http://")
        assert "no-store" in headers["cache-control"]
    # Each replica noted its own probe in the store, under its name.
    with session_scope(build_engine(stack.database_url)) as session:
        probes = set(session.exec(select(HealthProbe.probe)).all())
    assert {p.split("@")[0] for p in probes} >= {"app-A", "app-B"}, probes


def test_every_request_of_a_browser_reaches_the_replica_its_first_request_was_sent_to(
    stack: Stack, browser: Browser
) -> None:
    # A fresh browser (no route cookie yet) opens a page, then loads it again (a new websocket, a new session).
    page = phone_on(browser, stack, None)
    seen = record_upstreams(page, stack)
    page.goto(f"{stack.url}/contribuer")
    wait_for_app(page)
    page.reload()
    wait_for_app(page)
    upstreams = set(seen)
    assert len(seen) > 10 and len(upstreams) == 1, upstreams
    # The cookie nginx set on the very first answer hashes to the replica that gave that answer.
    (cookie,) = (c["value"] for c in page.context.cookies() if c["name"] == "ess_route")
    _, headers, _ = request(stack.url, "/_stcore/health", {"Cookie": f"ess_route={cookie}"})
    assert {headers["x-ess-upstream"]} == upstreams
    page.context.close()
    # Fresh browsers are spread over both replicas, not all sent to one (the room shares one address).
    spread = {request(stack.url, "/_stcore/health")[1]["x-ess-upstream"] for _ in range(20)}
    assert spread == {f"127.0.0.1:{stack.port(name)}" for name in "AB"}


def test_a_contribution_sent_through_one_replica_shows_on_the_dashboard_of_the_other_within_3_s(
    stack: Stack, browser: Browser
) -> None:
    create_account(stack, "orga", "organizer")
    organiser = phone_on(browser, stack, "B", laptop=True)
    organiser.goto(stack.url)
    wait_for_app(organiser)
    entry = menu(organiser).get_by_text("Tableau de bord", exact=True)
    submit_login(organiser, "orga", PASSWORD, done=entry.is_visible)
    open_menu_page(organiser, "Tableau de bord", "En direct")
    metric = organiser.get_by_test_id("stMetric").filter(has_text="Contributions").first.get_by_test_id("stMetricValue")
    before = int(metric.inner_text().replace("\u202f", "").replace(" ", ""))

    phone = phone_on(browser, stack, "A")
    receipt = contribute(phone, stack, "Un guichet unique pour les aides régionales aux associations employeuses.")
    saved = time.monotonic()
    expect(metric).to_have_text(str(before + 1), timeout=3_000)
    assert time.monotonic() - saved < 3.0
    assert receipt in stored_receipts(stack)
    phone.context.close()
    organiser.context.close()


def login_failures(stack: Stack, username: str) -> int:
    engine = build_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            query = select(func.count()).select_from(LoginAttempt).where(col(LoginAttempt.username) == username)
            return int(session.exec(query).one())
    finally:
        engine.dispose()


def counted(stack: Stack, username: str, failures: int) -> bool:
    return login_failures(stack, username) == failures


def submit_login(page: Page, username: str, password: str, *, done: Callable[[], bool]) -> None:
    """Fill the staff login form and send it until `done()` (on a saturated machine a click during a rerun can
    be dropped: it is sent again only when nothing came of it)."""
    if not page.get_by_role("textbox", name="Identifiant").is_visible():
        page.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True).click()
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(password)
    for _ in range(3):
        page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
        wait_for_app(page)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            if done():
                return
            page.wait_for_timeout(250)
    raise AssertionError(f"login form sent three times without effect: {page.locator('body').inner_text()[:800]}")


def test_the_login_throttle_holds_across_both_replicas(stack: Stack, browser: Browser) -> None:
    create_account(stack, "cible", "staff")
    attacker = phone_on(browser, stack, "A", laptop=True)
    attacker.goto(stack.url)
    wait_for_app(attacker)
    for n in range(1, 4):
        submit_login(attacker, "cible", f"devine-{n}", done=functools.partial(counted, stack, "cible", n))
        expect(attacker.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    attacker.context.close()

    # The owner, on a browser that the other replica serves, with the right password: held back by the window.
    owner = phone_on(browser, stack, "B", laptop=True)
    owner.goto(stack.url)
    wait_for_app(owner)
    refused = owner.get_by_text("Trop de tentatives de connexion.")
    submit_login(owner, "cible", PASSWORD, done=refused.is_visible)
    assert login_failures(stack, "cible") == 3  # a refused try is not checked, hence not counted
    owner.context.close()


def _restore(page: Page, stack: Stack, code: str, *, open_page: bool = True) -> None:
    """Type a passport code in « Mon passeport » (opened first, unless the page shows it already)."""
    if open_page:
        page.goto(f"{stack.url}/passeport")
        wait_for_app(page)
        page.get_by_text("Vous avez changé de téléphone ?").click()
    page.get_by_role("textbox", name="Code du passeport").fill(code)
    page.get_by_role("button", name="Retrouver mon passeport").click()
    wait_for_app(page)


def test_the_passport_restore_throttle_counts_each_address_across_both_replicas(stack: Stack, browser: Browser) -> None:
    guesser = phone_on(browser, stack, "A", address=ROOM)
    for n, code in enumerate(("AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC")):
        _restore(guesser, stack, code, open_page=n == 0)
        expect(guesser.get_by_text("Aucun passeport ne porte ce code.")).to_be_visible()
    guesser.context.close()

    # Another phone behind the same address, served by the other replica: the address's window is full.
    same_room = phone_on(browser, stack, "B", address=ROOM)
    _restore(same_room, stack, "DDDD-DDDD")
    expect(same_room.get_by_text("Trop d'essais avec des codes inconnus.")).to_be_visible()
    same_room.context.close()

    # A phone behind another address is counted apart: the replicas see each phone's address, not the proxy's.
    elsewhere = phone_on(browser, stack, "B", address=OTHER_ROOM)
    _restore(elsewhere, stack, "EEEE-EEEE")
    expect(elsewhere.get_by_text("Aucun passeport ne porte ce code.")).to_be_visible()
    elsewhere.context.close()


def test_the_backup_script_dumps_the_shared_postgresql_store(stack: Stack, tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "ESS_DATABASE_URL": stack.database_url, "ESS_BACKUP_DIR": str(tmp_path)}
    result = subprocess.run([str(ROOT / "deploy" / "ess-backup.sh")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (dump,) = tmp_path.glob("ess-*.dump")
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public contribution" in listing
    assert "Sauvegarde écrite" in result.stdout and "intégrité : ok" in result.stdout


def test_killing_a_replica_loses_no_acknowledged_write_and_the_other_keeps_serving(
    stack: Stack, browser: Browser
) -> None:
    on_a = phone_on(browser, stack, "A")
    on_b = phone_on(browser, stack, "B")
    receipts = [
        contribute(on_a, stack, "Avant la panne, par le premier serveur : des locaux partagés pour les associations."),
        contribute(on_b, stack, "Avant la panne, par le second serveur : un fonds de garantie pour les coopératives."),
    ]
    on_a.evaluate(WATCH_CONNECTION)
    stack.replicas["A"].process.send_signal(signal.SIGKILL)
    stack.replicas["A"].process.wait(timeout=10)
    assert set(receipts) <= stored_receipts(stack)

    # The phone whose replica died sees its page lose the connection, then reconnect by itself through nginx to
    # the live replica (a fresh session there): nobody reloads it, and it sends again from the same page.
    on_a.wait_for_function(
        "() => window.__states.some(s => s !== 'CONNECTED') && window.__states.at(-1) === 'CONNECTED'", timeout=30_000
    )
    wait_for_app(on_a)
    # The live replica knows nothing of the dead one's memory: the page runs in a new session there and shows the
    # form, empty (the receipt was drawn by the form's fragment, which the new session draws afresh; if the
    # frontend kept the old screen, the next tap gives the same form).
    again = on_a.get_by_role("button", name="Écrire une autre contribution")
    if again.is_visible():
        again.click()
        wait_for_app(on_a)
    expect(on_a.get_by_test_id("stTextArea").locator("textarea")).to_have_value("")
    after = contribute(
        on_a, stack, "Après la panne, le même téléphone : une maison de l'ESS dans chaque département.", open_form=False
    )
    # The receipt given by the dead replica is still the phone's: « Mes contributions » (its device cookie) lists
    # it, served by the live one, beside the one sent after the failure.
    on_a.goto(f"{stack.url}/mes-contributions")
    wait_for_app(on_a)
    for code in (receipts[0], after):
        expect(on_a.get_by_text(code).first).to_be_visible()
    # A new phone whose route cookie names the dead replica: nginx finds the connection refused and passes it on to
    # the next replica of the hash ring, for its first request and all the others.
    newcomer = phone_on(browser, stack, "A")
    upstreams = record_upstreams(newcomer, stack)
    late = contribute(newcomer, stack, "Après la panne, un nouveau téléphone : des tiers-lieux pour les coopératives.")
    # The replica that answered last (the header lists each one tried: "dead, live" for a request passed on).
    assert {u.rsplit(", ", 1)[-1] for u in upstreams} == {f"127.0.0.1:{stack.port('B')}"}
    assert {after, late} <= stored_receipts(stack)
    for page in (on_a, on_b, newcomer):
        page.context.close()
