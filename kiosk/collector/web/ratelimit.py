"""A per-client-address request limit for the public follow-up pages (guessing refs is slow).

A sliding window in memory: enough for one collector process, and forgotten on restart,
which costs a guesser nothing worth having. Behind a reverse proxy on this machine uvicorn
takes the client address from X-Forwarded-For (its default trusts 127.0.0.1 only).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: Addresses remembered at most; the oldest are forgotten first (a flood of addresses
#: cannot fill the memory).
MAX_CLIENTS = 10_000


class RateLimiter:
    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Count one request of ``client``; False when it is over the limit in the window."""
        now = self.clock()
        with self._lock:
            hits = self._hits.pop(client, None) or deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            allowed = len(hits) < self.limit
            if allowed:
                hits.append(now)
            self._hits[client] = hits  # re-inserted: the dict keeps the most recent last
            while len(self._hits) > MAX_CLIENTS:
                self._hits.pop(next(iter(self._hits)))
            return allowed
