"""The sliding windows that slow down guessing of short codes."""

from __future__ import annotations

import threading

from services import throttle


def test_a_window_allows_up_to_max_failures_then_says_how_long_to_wait() -> None:
    failures = [100.0, 110.0, 120.0]
    assert throttle.retry_after(failures[:2], now=130.0, max_failures=3, window_s=60.0) is None
    assert throttle.retry_after(failures, now=130.0, max_failures=3, window_s=60.0) == 30.0
    # The oldest failure leaves the window: one more try.
    assert throttle.retry_after(failures, now=160.5, max_failures=3, window_s=60.0) is None
    assert throttle.prune(failures, now=160.5, window_s=60.0) == [110.0, 120.0]


def test_the_shared_window_counts_every_thread_and_forgets_old_failures() -> None:
    window = throttle.SharedWindow(max_failures=50, window_s=60.0)
    threads = [threading.Thread(target=lambda: [window.record_failure(10.0) for _ in range(10)]) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert window.retry_after(20.0) == 50.0
    assert window.retry_after(70.0) is None


def test_the_wait_message_is_french_and_rounds_up() -> None:
    assert throttle.wait_message(30) == "Trop d'essais avec des codes inconnus. Réessayez dans 30 s."
    assert throttle.wait_message(61) == "Trop d'essais avec des codes inconnus. Réessayez dans 2 minutes."
    assert throttle.wait_message(60) == "Trop d'essais avec des codes inconnus. Réessayez dans 1 minute."
