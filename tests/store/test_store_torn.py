"""Torn and damaged files: whatever can be read is recovered, the damage is kept aside and
reported, and a damaged snapshot is refused with a clear message, never read as empty."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import RecordStore, RepairRefusedError, StoreCorruptError

Make = Callable[..., dict[str, Any]]


def log_file(data_dir: Path) -> Path:
    (log,) = sorted((data_dir / "store").glob("log-*.jsonl"))
    return log


def damaged_copies(data_dir: Path) -> list[Path]:
    aside = data_dir / "store" / "damaged"
    return sorted(aside.iterdir()) if aside.exists() else []


def state(data_dir: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    with RecordStore(data_dir) as store:
        return store.records(), store.contacts()


def build_store(data_dir: Path, make_record: Make, *, compacted: bool) -> tuple[int, Any, Any]:
    """A store with a few transactions; returns (log size before the last write, states)."""
    with RecordStore(data_dir) as store:
        first = [make_record(answers={"n": n}) for n in range(3)]
        for n, record in enumerate(first):
            store.save(record, {"name": f"Ølstue Åse {n}"} if n == 1 else None)
        store.mark_synced([first[0]["id"]], at="2026-09-05T12:00:00.000Z")
        store.mark_rejected(first[2]["id"], "invalid", "bad answer")
        if compacted:
            store.compact()
            store.save(make_record(kind="idea", answers={}))
    before = state(data_dir)
    size_before = log_file(data_dir).stat().st_size
    with RecordStore(data_dir) as store:
        store.save(make_record(answers={"n": 99, "fritekst": "sidste"}), {"email": "a@b.dk"})
    return size_before, before, state(data_dir)


def reopen_saves_and_keeps(data_dir: Path, expected: Any, make_record: Make) -> None:
    """After recovery the store takes new saves and reopens with everything intact."""
    extra = make_record(answers={"n": 1000})
    with RecordStore(data_dir) as store:
        store.save(extra)
    with RecordStore(data_dir) as store:
        assert store.records() == [*expected[0], extra]
        assert store.contacts() == expected[1]
        assert store.health().problems == []


@pytest.mark.parametrize("compacted", [False, True], ids=["first-generation", "after-compaction"])
def test_log_cut_at_every_byte_of_its_last_write_recovers(
    tmp_path: Path, make_record: Make, compacted: bool
) -> None:
    source = tmp_path / "source"
    size_before, before, after = build_store(source, make_record, compacted=compacted)
    full = log_file(source).read_bytes()
    assert size_before < len(full)
    for cut in range(size_before, len(full) + 1):
        data_dir = tmp_path / f"cut-{cut}"
        shutil.copytree(source, data_dir)
        log_file(data_dir).write_bytes(full[:cut])
        with RecordStore(data_dir) as store:
            expected = after if cut == len(full) else before
            assert (store.records(), store.contacts()) == expected, f"cut at byte {cut}"
            problems = store.health().problems
        torn = size_before < cut < len(full)
        if torn:
            assert len(problems) == 1 and "incomplete last write" in problems[0], problems
            (kept,) = damaged_copies(data_dir)
            assert kept.read_bytes() == full[:cut]
            assert str(kept) in problems[0]
        else:
            assert problems == [] and damaged_copies(data_dir) == []
        reopen_saves_and_keeps(data_dir, expected, make_record)
        shutil.rmtree(data_dir)


def wrong_checksum_line(full: bytes) -> bytes:
    last = full[:-1].rsplit(b"\n", 1)[-1] + b"\n"
    return (b"00000000" if not last.startswith(b"00000000") else b"11111111") + last[8:]


GARBAGE: dict[str, Callable[[bytes], bytes]] = {
    "random-bytes": lambda full: random.Random(7).randbytes(300),
    "partial-json": lambda full: b'0badc0de [{"t":"records.00000","u":{"9":{"id":',
    "wrong-checksum": wrong_checksum_line,
    "blank-lines": lambda full: b"\n\n\n",
    "nul-bytes": lambda full: b"\0" * 4096,
}


def repaired(data_dir: Path, *, accept_loss: bool) -> Any:
    with RecordStore(data_dir) as store:
        return store.repair(accept_loss=accept_loss)


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_garbage_after_the_last_write_is_reported_and_repair_sets_it_aside(
    tmp_path: Path, make_record: Make, garbage: str
) -> None:
    """Only a last line without its newline (never confirmed) is cut off on open, with a
    copy kept; complete lines that cannot be read stay where they are until `kiosk repair`."""
    data_dir = tmp_path / "data"
    _, _, after = build_store(data_dir, make_record, compacted=False)
    log = log_file(data_dir)
    full = log.read_bytes()
    junk = GARBAGE[garbage](full)
    log.write_bytes(full + junk)
    with RecordStore(data_dir) as store:
        assert (store.records(), store.contacts()) == after
        problems = store.health().problems
    assert problems, "garbage at the end of the log was not reported"
    complete = junk[: junk.rfind(b"\n") + 1]
    assert log.read_bytes() == full + complete, "only the unconfirmed last line is cut off"
    if complete != junk:
        (kept,) = damaged_copies(data_dir)
        assert kept.read_bytes() == full + junk
        assert any("incomplete last write" in p and str(kept) in p for p in problems)
    else:
        assert damaged_copies(data_dir) == []
    if complete:
        assert any("kiosk repair" in p for p in problems), problems
        holds_data = complete.strip() != b""
        if holds_data:
            with pytest.raises(RepairRefusedError, match="fewer records"):
                repaired(data_dir, accept_loss=False)
            assert log.read_bytes() == full + complete, "a refused repair changed the log"
        result = repaired(data_dir, accept_loss=holds_data)
        assert result.records == len(after[0]) and result.set_aside > 0
        assert result.backup is not None
        assert (result.backup / log.name).read_bytes() == full + complete
    reopen_saves_and_keeps(data_dir, after, make_record)


def test_damaged_middle_line_loses_only_that_line(tmp_path: Path, make_record: Make) -> None:
    data_dir = tmp_path / "data"
    records = [make_record(answers={"n": n}) for n in range(5)]
    with RecordStore(data_dir) as store:
        for record in records:
            store.save(record)
    log = log_file(data_dir)
    header, *lines = log.read_bytes().splitlines(keepends=True)
    assert len(lines) == 5
    middle = bytearray(lines[2])
    middle[len(middle) // 2] ^= 0x20  # one flipped bit, as bad flash memory would do
    damaged = b"".join([header, *lines[:2], bytes(middle), *lines[3:]])
    log.write_bytes(damaged)
    for _ in range(2):  # reported on every open, the file left as it is
        with RecordStore(data_dir) as store:
            assert store.records() == records[:2] + records[3:]
            problems = store.health().problems
        assert len(problems) == 1 and "1 damaged line" in problems[0], problems
        assert "incomplete" not in problems[0]
        assert log.read_bytes() == damaged and damaged_copies(data_dir) == []
    with pytest.raises(RepairRefusedError):
        repaired(data_dir, accept_loss=False)
    result = repaired(data_dir, accept_loss=True)
    assert result.records == 4 and result.set_aside == 1
    assert result.backup is not None and (result.backup / log.name).read_bytes() == damaged
    reopen_saves_and_keeps(data_dir, (records[:2] + records[3:], {}), make_record)


def snapshot_file(data_dir: Path) -> Path:
    (snapshot,) = sorted((data_dir / "store").glob("snapshot-*.json"))
    return snapshot


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "flipped-byte": lambda raw: raw[:-20] + bytes([raw[-20] ^ 1]) + raw[-19:],
    "truncated": lambda raw: raw[: len(raw) // 2],
    "empty": lambda raw: b"",
    "header-garbage": lambda raw: b"BORGERKIOSK-SNAPSHOT 1 zz xx\n" + raw.split(b"\n", 1)[1],
}


@pytest.mark.parametrize("damage", ["flipped-byte", "truncated", "empty", "header-garbage"])
def test_damaged_snapshot_is_refused_clearly_never_read_as_empty(
    tmp_path: Path, make_record: Make, damage: str
) -> None:
    data_dir = tmp_path / "data"
    with RecordStore(data_dir) as store:
        for n in range(4):
            store.save(make_record(answers={"n": n}))
        store.compact()
    snapshot = snapshot_file(data_dir)
    original = snapshot.read_bytes()
    snapshot.write_bytes(DAMAGE[damage](original))
    with pytest.raises(StoreCorruptError) as caught:
        RecordStore(data_dir)
    message = str(caught.value)
    assert str(snapshot) in message and "damaged" in message and "backup" in message
    (kept,) = damaged_copies(data_dir)
    assert kept.read_bytes() == DAMAGE[damage](original)
    snapshot.write_bytes(original)  # the organiser restores it: everything is back
    with RecordStore(data_dir) as store:
        assert len(store) == 4


def test_missing_snapshot_is_refused_clearly(tmp_path: Path, make_record: Make) -> None:
    data_dir = tmp_path / "data"
    with RecordStore(data_dir) as store:
        store.save(make_record())
        store.compact()
    snapshot_file(data_dir).unlink()
    with pytest.raises(StoreCorruptError, match=r"missing.*backup"):
        RecordStore(data_dir)


def test_missing_log_loads_the_last_snapshot_and_reports_it(
    tmp_path: Path, make_record: Make
) -> None:
    data_dir = tmp_path / "data"
    kept = [make_record(answers={"n": n}) for n in range(3)]
    with RecordStore(data_dir) as store:
        for record in kept:
            store.save(record)
        store.compact()
        store.save(make_record(answers={"n": 3}))  # only in the log that goes missing
    log_file(data_dir).unlink()
    with RecordStore(data_dir) as store:
        assert store.records() == kept, "a missing log must not make the store look empty"
        (problem,) = store.health().problems
        assert "log-000001.jsonl was missing" in problem and "snapshot-000001.json" in problem
    reopen_saves_and_keeps(data_dir, (kept, {}), make_record)


def test_leftover_of_an_interrupted_compaction_is_removed_quietly(
    tmp_path: Path, make_record: Make
) -> None:
    """Killed after the new snapshot was renamed into place, before its log existed: the
    snapshot proves it was made from this very log, so it is redundant."""
    data_dir = tmp_path / "data"
    with RecordStore(data_dir) as store:
        store.save(make_record())
        store.compact()
    finished = tmp_path / "finished"
    shutil.copytree(data_dir, finished)
    with RecordStore(finished) as store:
        store.compact()
    store_dir = data_dir / "store"
    shutil.copy(finished / "store" / "snapshot-000002.json", store_dir)
    with RecordStore(data_dir) as store:
        later = make_record()
        store.save(later)  # appended to generation 1: the leftover must not win later
        assert store.health().problems == []
    assert not (store_dir / "snapshot-000002.json").exists()
    assert damaged_copies(data_dir) == []
    with RecordStore(data_dir) as store:
        assert len(store) == 2 and store.get(later["id"]) == later


@pytest.mark.parametrize("name", ["snapshot-000002.json", "snapshot-000002.tmp"])
def test_snapshot_of_an_interrupted_compaction_cut_at_every_byte_is_ignored(
    tmp_path: Path, make_record: Make, name: str
) -> None:
    """Whatever part of a newer snapshot is on disk, the store opens on the last complete
    state. A temp file is ours and removed; a cut snapshot (our writer never leaves one, it
    renames a complete file) is reported and moved into damaged/, never deleted."""
    source = tmp_path / "source"
    with RecordStore(source) as store:
        store.save(make_record(), {"name": "Åse"})
        store.compact()
        store.save(make_record(kind="idea", answers={}))
    expected = state(source)
    finished = tmp_path / "finished"
    shutil.copytree(source, finished)
    with RecordStore(finished) as store:
        store.compact()
    full = (finished / "store" / "snapshot-000002.json").read_bytes()
    step = 7 if name.endswith(".json") else 1  # the .json cases also set files aside: slower
    for cut in [*range(0, len(full), step), len(full)]:
        data_dir = tmp_path / f"cut-{cut}"
        shutil.copytree(source, data_dir)
        (data_dir / "store" / name).write_bytes(full[:cut])
        with RecordStore(data_dir) as store:
            assert (store.records(), store.contacts()) == expected, f"cut at byte {cut}"
            problems = store.health().problems
        assert not (data_dir / "store" / name).exists(), "the leftover is still in the way"
        if name.endswith(".tmp") or cut == len(full):  # the whole snapshot: proven redundant
            assert problems == [] and damaged_copies(data_dir) == [], f"cut at byte {cut}"
        else:
            kept_files = damaged_copies(data_dir)
            assert len(kept_files) == 1, f"cut at byte {cut}: {kept_files} {problems}"
            kept = kept_files[0]
            assert kept.read_bytes() == full[:cut]
            assert len(problems) == 1 and name in problems[0] and str(kept) in problems[0]
        reopen_saves_and_keeps(data_dir, expected, make_record)
        shutil.rmtree(data_dir)
