"""The results pages' tally cache: one first tally a filter, however many ask at once (a
board polling every 10 s must not start a tally of 100,000 records at every poll)."""

from __future__ import annotations

import threading
import time

from kiosk.collector.web.results_page import TallyCache
from kiosk.results.model import Filters, Results


def test_pages_asking_at_once_share_one_first_tally() -> None:
    calls: list[int] = []
    entered, release = threading.Event(), threading.Event()

    def make() -> Results:
        calls.append(1)
        entered.set()
        release.wait(30)  # the first tally is under way until the others have asked
        return Results([], Filters(), "da", [])

    cache = TallyCache()
    out: list[object] = []
    first = threading.Thread(target=lambda: out.append(cache.get(("k",), (1, 1), make)))
    first.start()
    assert entered.wait(30)
    others = [
        threading.Thread(target=lambda: out.append(cache.get(("k",), (1, 1), make)))
        for _ in range(3)
    ]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(30)
    assert len(calls) == 1 and len(out) == 4
    assert len({id(tallied) for tallied in out}) == 1


def test_a_new_version_is_recounted_once_in_the_background() -> None:
    made: list[tuple[int, int]] = []
    done = threading.Event()

    def maker(version: tuple[int, int]):  # type: ignore[no-untyped-def]
        def make() -> Results:
            made.append(version)
            if version == (2, 2):
                done.set()
            return Results([], Filters(), "da", [str(version)])

        return make

    cache = TallyCache()
    assert cache.get(("k",), (1, 1), maker((1, 1))).results.kiosks == ["(1, 1)"]
    stale = [cache.get(("k",), (2, 2), maker((2, 2))) for _ in range(3)]
    assert stale[0].stale and stale[0].results.kiosks == ["(1, 1)"]  # at once, marked
    assert done.wait(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the recount stores its tally just after making it
        fresh = cache.get(("k",), (2, 2), maker((2, 2)))
        if not fresh.stale:
            break
        time.sleep(0.01)
    assert fresh.results.kiosks == ["(2, 2)"] and not fresh.stale
    assert made.count((2, 2)) == 1  # three stale views, one recount
