"""The store's id: every snapshot and log says which store it belongs to, and an older
generation is removed only when a newer snapshot of the same store proves it folded it in.

Real stores on disk, the real ``kiosk stats`` command; another store's files are copied in
the way an organiser copying USB sticks around would.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.store import RecordStore, read_store_id
from kiosk.store.log_storage import encode_line

Make = Callable[..., dict[str, Any]]


def build(data_dir: Path, make_record: Make, *, records: int, generations: int) -> list[Any]:
    """A store at ``generations`` holding ``records`` records (saved before each compaction)."""
    saved = []
    with RecordStore(data_dir, durable=False) as store:
        for generation in range(generations):
            for n in range(records // generations):
                saved.append(make_record(answers={"n": n, "g": generation}))
                store.save(saved[-1])
            store.compact()
    return saved


def files(data_dir: Path) -> dict[str, bytes]:
    store = data_dir / "store"
    return {p.name: p.read_bytes() for p in store.iterdir() if p.is_file() and p.name != "lock"}


def aside(data_dir: Path) -> list[Path]:
    folder = data_dir / "store" / "damaged"
    return sorted(folder.iterdir()) if folder.exists() else []


def stats(data_dir: Path) -> Any:
    return CliRunner().invoke(cli, ["stats", "--data", str(data_dir)])


def test_every_file_carries_the_store_id(tmp_path: Path, make_record: Make) -> None:
    data_dir = tmp_path / "data"
    build(data_dir, make_record, records=4, generations=2)
    with RecordStore(data_dir) as store:
        store_id = store.store_id
        store.save(make_record())
    assert store_id is not None and len(store_id) == 32
    assert read_store_id(data_dir) == store_id
    snapshot = (data_dir / "store" / "snapshot-000002.json").read_bytes()
    assert store_id.encode() in snapshot.split(b"\n", 1)[0]
    header = (data_dir / "store" / "log-000002.jsonl").read_bytes().split(b"\n", 1)[0]
    assert json.loads(header[9:]) == {"store": store_id, "generation": 2}
    other = tmp_path / "other"
    with RecordStore(other) as store:
        assert store.store_id not in (None, store_id)


@pytest.mark.parametrize("copied", [("snapshot",), ("snapshot", "log")])
def test_another_stores_newer_snapshot_is_not_taken_for_this_one(
    tmp_path: Path, make_record: Make, copied: tuple[str, ...]
) -> None:
    """Issue 10 item 1: `kiosk stats` loaded the stray snapshot and deleted generation 3."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    saved = build(ours, make_record, records=300, generations=3)
    build(theirs, make_record, records=5, generations=5)
    stray = theirs / "store" / "snapshot-000005.json"
    shutil.copy(stray, ours / "store")
    if "log" in copied:  # a whole generation of the other store: it is still not ours
        shutil.copy(theirs / "store" / "log-000005.jsonl", ours / "store")
    before = files(ours)

    result = stats(ours)
    assert result.exit_code == 0, result.output
    assert "300 records" in result.stdout
    assert "snapshot-000005.json" in result.stderr and "another store" in result.stderr
    assert files(ours) == before, "a read-only command changed or removed a file"
    assert aside(ours) == []

    with RecordStore(ours) as store:  # the kiosk itself: the stray files are set aside
        assert store.records() == saved
        problems = store.health().problems
        assert len(problems) == len(copied) and all("another store" in p for p in problems)
        store_id = store.store_id
    kept = aside(ours)
    assert len(kept) == len(copied)
    assert any(k.name.startswith("snapshot-000005.json") for k in kept)
    assert stray.read_bytes() in [k.read_bytes() for k in kept]
    assert not (ours / "store" / "snapshot-000005.json").exists()
    assert read_store_id(ours) == store_id != read_store_id(theirs)
    for name in ("snapshot-000003.json", "log-000003.jsonl"):
        assert files(ours)[name] == before[name]


def test_a_newer_snapshot_of_the_same_store_with_a_gap_does_not_remove_the_older(
    tmp_path: Path, make_record: Make
) -> None:
    """Same id, but it does not prove it follows generation 3: nothing older is removed."""
    ours = tmp_path / "ours"
    saved = build(ours, make_record, records=6, generations=3)
    later = tmp_path / "later"
    shutil.copytree(ours, later)
    with RecordStore(later) as store:
        store.save(make_record())
        store.compact()
        store.save(make_record())
        store.compact()
    shutil.copy(later / "store" / "snapshot-000005.json", ours / "store")
    with RecordStore(ours) as store:
        assert store.records() == saved
        (problem,) = store.health().problems
        assert "snapshot-000005.json" in problem and "not proven" in problem
    assert {"snapshot-000003.json", "log-000003.jsonl"} <= set(files(ours))
    assert [p.name.split(".json")[0] for p in aside(ours)] == ["snapshot-000005"]


def test_a_store_made_before_ids_opens_and_adopts_one_on_its_first_write(
    tmp_path: Path, make_record: Make
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "store").mkdir(parents=True)
    old = [make_record(answers={"n": n}) for n in range(3)]
    log = data_dir / "store" / "log-000000.jsonl"
    log.write_bytes(
        b"".join(
            encode_line([{"t": "records.00000", "u": {str(n + 1): record}}])
            for n, record in enumerate(old)
        )
    )
    before = log.read_bytes()
    assert read_store_id(data_dir) is None
    assert stats(data_dir).exit_code == 0
    with RecordStore(data_dir) as store:
        assert store.records() == old and store.store_id is None
        assert store.health().problems == []
    assert log.read_bytes() == before, "opening is not a write: no id until one"
    new = make_record()
    with RecordStore(data_dir) as store:
        store.save(new)
        store_id = store.store_id
    assert store_id is not None and read_store_id(data_dir) == store_id
    with RecordStore(data_dir) as store:
        assert store.records() == [*old, new] and store.store_id == store_id
        store.compact()
        assert store.health().problems == []
    with RecordStore(data_dir) as store:
        assert store.records() == [*old, new] and store.store_id == store_id
    assert sorted(files(data_dir)) == ["log-000001.jsonl", "snapshot-000001.json", "store-id"]


def test_a_read_only_reader_follows_a_writer_through_compactions(
    tmp_path: Path, make_record: Make
) -> None:
    """The reader's shared lock on the lock file (opened read-only) keeps it consistent: it
    sees every save, and after a compaction by the writer it reloads the new generation."""
    data_dir = tmp_path / "data"
    writer = RecordStore(data_dir, durable=False)
    reader = RecordStore(data_dir, read_only=True)
    saved = []
    try:
        for n in range(12):
            saved.append(make_record(answers={"n": n}))
            writer.save(saved[-1])
            if n % 4 == 3:
                writer.compact()
            assert reader.records() == saved
            assert reader.store_id == writer.store_id
        assert reader.health().problems == [] and writer.health().problems == []
    finally:
        reader.close()
        writer.close()
    assert sorted(files(data_dir)) == ["log-000003.jsonl", "snapshot-000003.json", "store-id"]
