"""Sliding-window throttles for lookups by short code (a passport's restore code) that need no account.

A restore code is 8 characters from a 25-sign alphabet (25^8 ≈ 1.5 × 10^11 codes), so guessing one is
hopeless *if* guesses are slow. Two windows keep them slow: one per browser session (a person who
mistypes gets a few tries, then waits a little), and one for the whole process (an attacker who opens a
new session for every guess still gets only a bounded number of failures per minute, whoever they are).
Only failures are counted: a participant who types the right code is never held back by the window.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

# Per session: 5 wrong codes within 10 minutes, then a pause.
SESSION_MAX_FAILURES = 5
SESSION_WINDOW_S = 600.0
# Whole process: 60 wrong codes a minute from everybody together (a room restoring passports after a
# phone change makes a handful; 60 a minute is 86 400 guesses a day: with 500 passports, a chance of
# about 1 in 3 500 that a whole day of guessing finds any one of them, and none of a contribution).
GLOBAL_MAX_FAILURES = 60
GLOBAL_WINDOW_S = 60.0


def retry_after(failures: list[float], *, now: float, max_failures: int, window_s: float) -> float | None:
    """Seconds to wait before the next try, or None if one is allowed; `failures` are monotonic times."""
    recent = [t for t in failures if now - t < window_s]
    if len(recent) < max_failures:
        return None
    return max(1.0, window_s - (now - min(recent)))


def prune(failures: list[float], *, now: float, window_s: float) -> list[float]:
    """The failures still inside the window (what a session keeps between reruns)."""
    return [t for t in failures if now - t < window_s]


@dataclass
class SharedWindow:
    """A thread-safe window of failure times shared by every session of one process."""

    max_failures: int = GLOBAL_MAX_FAILURES
    window_s: float = GLOBAL_WINDOW_S
    _times: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, now: float) -> float | None:
        with self._lock:
            while self._times and now - self._times[0] >= self.window_s:
                self._times.popleft()
            return retry_after(list(self._times), now=now, max_failures=self.max_failures, window_s=self.window_s)

    def record_failure(self, now: float) -> None:
        with self._lock:
            self._times.append(now)


def wait_message(seconds: float) -> str:
    """The French message shown while a throttle holds."""
    minutes = int(seconds // 60) + (1 if seconds % 60 else 0)
    delay = f"{minutes} minute{'s' if minutes > 1 else ''}" if seconds >= 60 else f"{int(seconds) or 1} s"
    return f"Trop d'essais avec des codes inconnus. Réessayez dans {delay}."
