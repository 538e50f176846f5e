"""Admission of submissions: a few in work at once, a short first-come-first-served queue
behind them, and 503 + Retry-After for the rest (kiosks wait that long and send again).

Why a queue this short: the time a batch takes is the work ahead of it divided by how fast
the collector works, so every submission let in to wait adds to every later one's time. A
kiosk told 503 loses nothing (it retries after Retry-After; the record id keeps a re-send from
counting twice), while one kept waiting holds a connection and learns nothing.

It runs on the event loop (no thread sits blocked waiting for a turn: threads of the pool are
kept for the work), and a freed place goes to the longest-waiting submission, not to whichever
thread wakes first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

#: Submissions in work at once in one worker process (``--max-concurrent``): two, so one
#: batch's commit (waiting on the disk) overlaps the next one's checks (on the CPU).
DEFAULT_MAX_CONCURRENT = 2


def waiting_room(in_work: int) -> int:
    """How many may wait behind ``in_work`` submissions: half as many, at least one (one
    waiting keeps a place from standing empty while the next kiosk is still sending)."""
    return max(1, in_work // 2)


class Admission:
    """``in_work`` submissions at once; up to ``waiting`` more wait, each at most ``max_wait``
    seconds, in arrival order. One instance per worker process (one event loop)."""

    def __init__(self, in_work: int, waiting: int, max_wait: float = 2.0) -> None:
        if in_work < 1 or waiting < 0:
            raise ValueError("in_work must be at least 1 and waiting at least 0")
        self.in_work = in_work
        self.waiting = waiting
        self.max_wait = max_wait
        self._busy = 0
        self._queue: deque[asyncio.Future[None]] = deque()

    async def enter(self) -> bool:
        """Take a place (True; call :meth:`leave` when done) or be refused (False)."""
        if self._busy < self.in_work and not self._queue:
            self._busy += 1
            return True
        if len(self._queue) >= self.waiting:
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(turn)
        try:
            await asyncio.wait({turn}, timeout=self.max_wait)
        except asyncio.CancelledError:  # the request went away while waiting
            self._give_up(turn)
            raise
        if turn.done():  # handed a place by leave(): it is ours now
            return True
        self._give_up(turn)
        return False

    def _give_up(self, turn: asyncio.Future[None]) -> None:
        if turn.done() and not turn.cancelled():
            self.leave()  # the place was handed over just now: pass it on
            return
        turn.cancel()
        with contextlib.suppress(ValueError):
            self._queue.remove(turn)

    def leave(self) -> None:
        """Give the place back: to the first still waiting, else free it."""
        while self._queue:
            turn = self._queue.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._busy -= 1
