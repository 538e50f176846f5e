"""What a power cut needs, beyond what kill -9 tests: the right fsyncs, in the right order.

A killed process leaves the page cache behind, so the crash test cannot see a missing
fsync. Here the real ``os`` calls are watched (and still made): a save is fdatasync'd
before it returns, and a created or renamed file's directory is fsync'd before the
store relies on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import RecordStore

Make = Callable[..., dict[str, Any]]
Event = tuple[str, str]


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Event]]:
    """Every fsync, fdatasync, write and rename the process makes, with the path it concerns."""
    seen: list[Event] = []

    def path_of(fd: int) -> str:
        return os.readlink(f"/proc/self/fd/{fd}")

    def watch(name: str, describe: Callable[..., str]) -> None:
        real = getattr(os, name)

        def watched(*args: Any, **kwargs: Any) -> Any:
            what = describe(*args)
            result = real(*args, **kwargs)
            seen.append((name, what))
            return result

        monkeypatch.setattr(os, name, watched)

    if not Path("/proc/self/fd").is_dir():
        raise RuntimeError("this test needs /proc (Linux) to name file descriptors")
    for name in ("fsync", "fdatasync"):
        watch(name, path_of)
    watch("write", lambda fd, data: path_of(fd))
    watch("replace", lambda src, dst: f"{src} -> {dst}")
    yield seen


def after(events: list[Event], first: Event, then: Event) -> bool:
    """``then`` happens after the first ``first``."""
    return first in events and then in events[events.index(first) :]


def test_save_is_fdatasynced_before_it_returns(
    tmp_path: Path, make_record: Make, events: list[Event]
) -> None:
    store = RecordStore(tmp_path / "data")
    log = str((tmp_path / "data" / "store" / "log-000000.jsonl").resolve())
    events.clear()
    store.save(make_record())
    assert events[-2:] == [("write", log), ("fdatasync", log)]
    store.close()


def test_new_data_directory_and_log_are_made_durable(tmp_path: Path, events: list[Event]) -> None:
    data = (tmp_path / "a" / "data").resolve()
    RecordStore(data).close()
    fsynced = [path for name, path in events if name == "fsync"]
    # every directory created, in its parent; then the log's creation in the store folder
    for created in (data.parent, data, data / "store"):
        assert str(created.parent) in fsynced, f"the creation of {created} is not durable"
    assert fsynced[-1] == str(data / "store")


def test_compaction_syncs_the_snapshot_before_the_rename_and_the_directory_after(
    tmp_path: Path, make_record: Make, events: list[Event]
) -> None:
    with RecordStore(tmp_path / "data") as store:
        store.save(make_record())
        folder = (tmp_path / "data" / "store").resolve()
        events.clear()
        store.compact()
    tmp, snapshot = folder / "snapshot-000001.tmp", folder / "snapshot-000001.json"
    rename = ("replace", f"{tmp} -> {snapshot}")
    assert after(events, ("fsync", str(tmp)), rename), events
    assert after(events, rename, ("fsync", str(folder))), events
    # the new log (which makes the generation live) is created after that, then the folder again
    directory_syncs = [i for i, e in enumerate(events) if e == ("fsync", str(folder))]
    assert len(directory_syncs) >= 2, events
