"""Rate limits for the poll service: small in-memory token buckets, no HTTP in here.

A bucket holds at most ``burst`` tokens and gains ``per_second`` tokens a second; a request
takes one token or is refused, and the refusal says how many whole seconds to wait. Buckets
live in memory, one per key (a client address, a participant token), so they reset when the
service restarts; a bucket that has filled up again is forgotten, which keeps memory bounded.
See docs/security.md for the numbers and why they are what they are.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    """At most ``burst`` requests at once, then ``per_second`` requests a second."""

    burst: float
    per_second: float

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_second <= 0:
            raise ValueError("a rate needs a burst of at least 1 and a positive refill")


class Buckets:
    """One token bucket per key, all with the same :class:`Rate`.

    Not thread-safe: the service uses it on the event loop only.
    """

    def __init__(
        self,
        rate: Rate,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)

    def _level(self, key: Hashable, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.rate.burst, now))
        return min(self.rate.burst, tokens + (now - at) * self.rate.per_second)

    def wait(self, key: Hashable) -> float:
        """Seconds until ``key`` has a token; 0.0 if it has one now. Takes nothing."""
        missing = 1.0 - self._level(key, self.clock())
        return 0.0 if missing <= 0 else missing / self.rate.per_second

    def take(self, key: Hashable) -> float:
        """Take a token for ``key``: 0.0 if one was taken, else the seconds to wait (and
        nothing is taken, so waiting that long is enough)."""
        now = self.clock()
        level = self._level(key, now)
        if level < 1.0:
            return (1.0 - level) / self.rate.per_second
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._prune(now)
        self._buckets[key] = (level - 1.0, now)
        return 0.0

    def _prune(self, now: float) -> None:
        """Forget full buckets (the same as never seen); if that is not enough, the oldest."""
        full = [k for k in self._buckets if self._level(k, now) >= self.rate.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            by_age = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in by_age[: len(by_age) // 2 + 1]:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after(seconds: float) -> int:
    """Whole seconds for a ``Retry-After`` header: rounded up, at least 1."""
    return max(1, math.ceil(seconds))


#: Joins per client address: a whole room behind one Wi-Fi router (one public address, or the
#: reverse proxy's) joins at once, so 300 at once and then 10 a second (600 a minute).
JOIN_RATE = Rate(burst=300, per_second=10)
#: Answers per participant token: a person changes their mind a few times, a script does not
#: get to flood the store.
RESPOND_RATE = Rate(burst=10, per_second=2)
#: Look-ups of unknown room codes per client address: 10 mistyped codes, then one every 10 s,
#: so guessing one of 25**6 codes is hopeless.
UNKNOWN_CODE_RATE = Rate(burst=10, per_second=0.1)


@dataclass
class Limits:
    """The service's rate limits. ``make_app(limits=Limits())`` turns them on."""

    join: Rate = JOIN_RATE
    respond: Rate = RESPOND_RATE
    unknown_code: Rate = UNKNOWN_CODE_RATE
    clock: Callable[[], float] = time.monotonic
    joins: Buckets = field(init=False)
    responses: Buckets = field(init=False)
    unknown_codes: Buckets = field(init=False)

    def __post_init__(self) -> None:
        self.joins = Buckets(self.join, clock=self.clock)
        self.responses = Buckets(self.respond, clock=self.clock)
        self.unknown_codes = Buckets(self.unknown_code, clock=self.clock)
