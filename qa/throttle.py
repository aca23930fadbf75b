"""Wrong maintainer passwords are slowed down per client: after the n-th
wrong try in a row, that client's next try is refused (without checking the
password) until ``base_s * 2**(n-1)`` seconds have passed, at most ``max_s``.
The right password clears the client's count. A guesser gets a few tries a
minute at first, one every ``max_s`` later; a maintainer who mistyped once
waits ``base_s``.

The clock is injected (tests pass a fake one). Standard library only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Attempt:
    """What the throttle says about one try: allowed now, or wait ``wait_s`` more."""

    allowed: bool
    wait_s: float = 0.0
    failures: int = 0  # wrong tries in a row so far


class PasswordThrottle:
    """Growing delay per client key (the client's address) after wrong passwords."""

    def __init__(self, base_s: float = 2.0, max_s: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.base_s, self.max_s, self.clock = base_s, max_s, clock
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, float] = {}
        self._lock = threading.Lock()  # events run in a thread pool

    def check(self, client: str) -> Attempt:
        """May ``client`` try a password now?"""
        with self._lock:
            wait = self._not_before.get(client, 0.0) - self.clock()
            return Attempt(wait <= 0, max(wait, 0.0), self._failures.get(client, 0))

    def failed(self, client: str) -> Attempt:
        """Record a wrong password; returns how long ``client`` must now wait."""
        with self._lock:
            n = self._failures.get(client, 0) + 1
            self._failures[client] = n
            delay = min(self.base_s * 2 ** (n - 1), self.max_s)
            self._not_before[client] = self.clock() + delay
            return Attempt(False, delay, n)

    def succeeded(self, client: str) -> None:
        """The right password: the client starts afresh."""
        with self._lock:
            self._failures.pop(client, None)
            self._not_before.pop(client, None)


def refusal(attempt: Attempt, wrong_now: bool) -> str:
    """The page's message for a refused try."""
    wait = f"{attempt.wait_s:.0f} s" if attempt.wait_s >= 1 else "a second"
    if wrong_now:
        return (
            f"Problem: wrong maintainer password ({attempt.failures} wrong in a row from this address); "
            f"the next try is accepted in {wait}, and each wrong one doubles the wait"
        )
    return (
        f"Problem: too many wrong maintainer passwords from this address; try again in {wait} "
        "(the password was not checked)"
    )
