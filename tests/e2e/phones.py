"""Many participants' phones at once: one headless Chromium, one context per phone (390 × 844), async Playwright.

Used by the crash test (tests/e2e/test_crash_browser.py) and the long runs under bench/ (bench_crash,
bench_load). The async driver runs in a thread of its own (`run_async`), so a test module can use it
while the synchronous Playwright of tests/e2e/conftest.py holds the main thread's event loop.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE

T = TypeVar("T")
THEME_LABELS = (
    "Relations avec les institutions",
    "Entreprendre en ESS",
    "Emploi",
    "Coopération et territoires",
    "Faire connaître l'ESS",
)
IDLE_JS = (
    "() => !document.querySelector('[data-testid=stStatusWidget]')"
    " || !document.querySelector('[data-testid=stStatusWidget]').innerText.includes('Running')"
)
# The receipt of *this* contribution: its code, next to the very text just sent (never a stale one).
RECEIPT_JS = """(expected) => {
  const code = document.querySelector('[data-testid=stMetricValue]');
  if (!code || code.getBoundingClientRect().height === 0) return null;
  const texts = [...document.querySelectorAll('[data-testid=stText]')].map((e) => e.innerText.trim());
  return texts.includes(expected) ? code.innerText.trim() : null;
}"""
# Whatever receipt a phone shows right now, with the texts beside it.
SHOWN_JS = """() => {
  const code = document.querySelector('[data-testid=stMetricValue]');
  if (!code || code.getBoundingClientRect().height === 0) return null;
  return { code: code.innerText.trim(),
           texts: [...document.querySelectorAll('[data-testid=stText]')].map((e) => e.innerText.trim()) };
}"""


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine in a fresh thread with its own event loop, and return its result."""

    async def main() -> T:
        return await factory()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def launch(playwright: Any) -> Any:
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


async def new_phone(browser: Any, timeout_ms: int = 60_000) -> Any:
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR")
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    return page


async def wait_idle(page: Any, timeout_ms: int = 60_000) -> None:
    await page.wait_for_function(IDLE_JS, timeout=timeout_ms)


async def open_form(page: Any, base_url: str, theme: str) -> None:
    """The contribution form with a theme chosen; a second try if a busy machine drops the first tap."""
    for attempt in (1, 2):
        try:
            await page.goto(f"{base_url}/contribuer", wait_until="domcontentloaded")
            await page.get_by_role("radio", name=theme).click()
            await wait_idle(page)
            return
        except Exception:
            if attempt == 2:
                raise


async def send(page: Any, text: str, timeout_ms: int = 60_000) -> str:
    """Type a contribution, tap « Envoyer », return the receipt code shown for this very text."""
    await page.get_by_test_id("stTextArea").locator("textarea").fill(text)
    await page.get_by_role("button", name="Envoyer ma contribution").click()
    handle = await page.wait_for_function(RECEIPT_JS, arg=text, timeout=timeout_ms)
    return str(await handle.json_value())


async def write_another(page: Any) -> None:
    await page.get_by_role("button", name="Écrire une autre contribution").click()
    await page.get_by_test_id("stTextArea").wait_for(state="visible")
    await wait_idle(page)


async def shown_receipt(page: Any) -> dict[str, Any] | None:
    try:
        found = await page.evaluate(SHOWN_JS)
    except Exception:
        return None
    return found if isinstance(found, dict) else None


@dataclass
class CrashRun:
    """What the phones saw around a kill -9 of the server."""

    receipts: dict[str, str] = field(default_factory=dict)  # receipt code shown → text sent
    attempted: list[str] = field(default_factory=list)  # every text whose « Envoyer » was tapped
    in_flight_at_kill: int = 0  # phones that had tapped « Envoyer » and not yet seen their receipt
    seconds_to_kill: float = 0.0
    failures: list[str] = field(default_factory=list)


async def submit_until_killed(
    base_url: str, server_pid: int, *, phones: int, kill_after: int, pause_s: tuple[float, float]
) -> CrashRun:
    """`phones` sessions send contributions in a loop; the server is killed with SIGKILL once `kill_after`
    receipts were shown and at least one send is in flight, then every screen is read."""
    from playwright.async_api import async_playwright

    run = CrashRun()
    sending: set[int] = set()
    async with async_playwright() as p:
        browser = await launch(p)
        pages: list[Any] = []
        for first in range(0, phones, 5):  # a few at a time: 30 tabs loading at once only measure Chromium
            batch = [await new_phone(browser) for _ in range(first, min(first + 5, phones))]
            await asyncio.gather(
                *(open_form(page, base_url, THEME_LABELS[(first + i) % 5]) for i, page in enumerate(batch))
            )
            pages += batch
        killed = asyncio.Event()

        async def phone(n: int, page: Any) -> None:
            rng = random.Random(n)  # reproducible pacing, not a secret
            k = 0
            while not killed.is_set():
                await asyncio.sleep(rng.uniform(*pause_s))
                text = f"Contribution envoyée pendant l'essai d'arrêt brutal (téléphone {n}, envoi {k})."
                k += 1
                sending.add(n)
                run.attempted.append(text)
                try:
                    code = await send(page, text, timeout_ms=120_000)
                    run.receipts[code] = text
                    sending.discard(n)
                    await write_another(page)
                except Exception as exc:
                    if not killed.is_set():
                        run.failures.append(f"téléphone {n}, envoi {k - 1} : {str(exc).splitlines()[0][:160]}")
                    return

        tasks = [asyncio.create_task(phone(n, page)) for n, page in enumerate(pages)]
        started = time.monotonic()
        # Polls the phones' shared state (not a wait standing in for a condition); gives up after 150 s.
        while time.monotonic() < started + 150:
            enough = len(run.receipts) >= kill_after
            if enough and (sending or time.monotonic() - started > 100):
                break
            await asyncio.sleep(0.05)
        run.in_flight_at_kill = len(sending)
        os.kill(server_pid, signal.SIGKILL)
        run.seconds_to_kill = time.monotonic() - started
        killed.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A receipt that reached a screen in the very last moment counts too: read every screen.
        for page in pages:
            found = await shown_receipt(page)
            if found:
                sent = [t for t in found["texts"] if t.startswith("Contribution envoyée pendant l'essai")]
                if sent:
                    run.receipts.setdefault(found["code"], sent[0])
        await browser.close()
    return run


async def send_one(base_url: str, text: str) -> str:
    """A new phone sends one contribution; returns its receipt code."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await launch(p)
        page = await new_phone(browser)
        await open_form(page, base_url, THEME_LABELS[2])
        code = await send(page, text)
        await browser.close()
    return code
