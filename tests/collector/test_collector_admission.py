"""Admission (kiosk.collector.admission): a place freed goes to the longest-waiting submission,
the waiting room is bounded (beyond it: refused at once, a 503), and a waiter that gives up
or goes away never keeps a place."""

from __future__ import annotations

import asyncio

from kiosk.collector.admission import Admission, waiting_room


def test_a_freed_place_goes_to_the_first_waiting_and_the_room_is_bounded() -> None:
    async def scenario() -> list[str]:
        gate = Admission(in_work=1, waiting=2, max_wait=60)
        order: list[str] = []
        assert await gate.enter()  # in work

        async def wait(name: str) -> None:
            if await gate.enter():
                order.append(name)
                gate.leave()

        first = asyncio.create_task(wait("first"))
        await asyncio.sleep(0)
        second = asyncio.create_task(wait("second"))
        await asyncio.sleep(0)
        assert not await gate.enter()  # the room holds two: a third is refused at once
        gate.leave()
        await asyncio.gather(first, second)
        assert await gate.enter()  # every place given back
        return order

    assert asyncio.run(scenario()) == ["first", "second"]


def test_a_waiter_that_times_out_or_is_cancelled_keeps_no_place() -> None:
    async def scenario() -> None:
        gate = Admission(in_work=1, waiting=1, max_wait=0.01)
        assert await gate.enter()
        assert not await gate.enter()  # waited its 0.01 s, then refused
        gate.max_wait = 60
        gone = asyncio.create_task(gate.enter())
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.gather(gone, return_exceptions=True)
        gate.leave()  # nobody is waiting now: the place is free again
        assert await gate.enter()

    asyncio.run(scenario())


def test_the_waiting_room_is_half_the_places_at_least_one() -> None:
    assert [waiting_room(n) for n in (1, 2, 3, 16)] == [1, 1, 1, 8]
