"""Fuzzing the store's files (issue 10): random and mutated log lines, checksummed lines of
random JSON, junk files and damaged snapshots, then the real ``kiosk stats``, ``kiosk
export`` and the kiosk's own open. No traceback, no record that was intact before is
missing after, nothing changed by a read-only command, nothing destroyed by a writer.
"""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kiosk.cli import cli
from kiosk.records import new_record, public_view
from kiosk.store import RecordStore, StoreCorruptError

KEYS = st.sampled_from(
    [
        *("t", "u", "id", "survey_id", "kind", "answers", "ref", "idea", "record_id", "x"),
        *("1000", "1001", "abc", "", "store", "generation", "records.00000"),
        *("sync_status", "survey_version", "kiosk_id", "synced_at", "completed"),
    ]
)
TABLES = st.sampled_from(["records.00000", "contacts.00000", "records.00001", "_default", ""])
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | TABLES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=24,
)
ENTRY = st.fixed_dictionaries(
    {"t": TABLES},
    optional={
        "u": st.dictionaries(st.sampled_from(["1000", "1001", "abc", "0", "-1"]), JSON) | JSON,
        "x": JSON,
    },
)
LINE_JSON = st.lists(ENTRY, max_size=3) | JSON

MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 7)),
    st.tuples(st.just("garbage"), st.integers(0, 100), st.binary(max_size=60)),
    st.tuples(st.just("valid"), st.integers(0, 100), LINE_JSON),
    st.tuples(st.just("append"), st.binary(max_size=60)),
    st.tuples(st.just("truncate"), st.integers(1, 80)),
    st.tuples(st.just("duplicate"), st.integers(0, 100), st.integers(0, 100)),
    st.tuples(st.just("crlf")),
    st.tuples(
        st.just("junk"), st.sampled_from(["snapshot", "log"]), st.integers(0, 9), st.binary()
    ),
    st.tuples(st.just("snapshot-flip"), st.integers(0, 10**6)),
)


def record(n: int) -> dict[str, Any]:
    return new_record(
        kind="response",
        survey_id="gentofte-moedes",
        survey_version=1,
        survey_hash="0" * 64,
        kiosk_id="kiosk-fuzz",
        lang="da",
        started_at="2026-09-05T10:00:00.000Z",
        completed=True,
        answers={"n": n, "fritekst": "Æblegrød & 🙂"},
    )


def checksummed(value: Any) -> bytes:
    body = json.dumps(value, ensure_ascii=False).encode()
    return b"%08x %s\n" % (zlib.crc32(body), body)


def contents(data_dir: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(data_dir)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(data_dir.rglob("*"))
        if p.is_file()
    }


def no_traceback(result: Any) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output


def saved_by(line: bytes) -> str | None:
    """The id of the record a log line saved (a header line owns none)."""
    value = json.loads(line[9:])
    if not isinstance(value, list):
        return None
    (entry,) = value
    (doc,) = entry["u"].values()
    return doc["id"]


def has_no_ref_keys(value: Any) -> bool:
    """Random lines may add records, but must not legitimately delete or overwrite ours."""
    if isinstance(value, dict):
        if {"d", "drop"} & set(value) or any(k.isdigit() and int(k) < 1000 for k in value):
            return False
        return all(has_no_ref_keys(v) for v in value.values())
    if isinstance(value, list):
        return all(has_no_ref_keys(v) for v in value)
    return True


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(  # found by this test: a junk snapshot-000000.json made the store unopenable
    before=0, after=1, compacted=False, mutations=[("junk", "snapshot", 0, b"")]
)
@example(  # found by this test: beside a damaged snapshot a junk log-000000.jsonl was taken
    # for the store, so exports were empty and the kiosk set the intact log aside
    before=0,
    after=1,
    compacted=True,
    mutations=[("junk", "log", 0, b""), ("snapshot-flip", 0)],
)
@example(  # and so it was when the newer log's header line was damaged too
    before=0,
    after=1,
    compacted=True,
    mutations=[("junk", "log", 0, b"Be\xcc"), ("flip", 5, 0), ("snapshot-flip", 125)],
)
@example(  # the flip once hit a junk empty snapshot-000000.json (a ZeroDivisionError here)
    before=0,
    after=1,
    compacted=True,
    mutations=[("junk", "snapshot", 0, b""), ("snapshot-flip", 0)],
)
@given(
    before=st.integers(0, 4),
    after=st.integers(1, 5),
    compacted=st.booleans(),
    mutations=st.lists(MUTATION, min_size=1, max_size=5),
)
def test_fuzzed_store_files(
    before: int, after: int, compacted: bool, mutations: list[tuple[Any, ...]]
) -> None:
    for mutation in mutations:
        if mutation[0] == "valid":
            assume(has_no_ref_keys(mutation[2]))
    with tempfile.TemporaryDirectory() as tmp:
        check(Path(tmp) / "data", before, after, compacted, mutations)


def check(
    data_dir: Path, before: int, after: int, compacted: bool, mutations: list[tuple[Any, ...]]
) -> None:
    records = [record(n) for n in range(before + after)]
    with RecordStore(data_dir, durable=False) as store:
        for n, saved in enumerate(records):
            if compacted and n == before:
                store.compact()
            store.save(saved)
    store_dir = data_dir / "store"
    (log,) = store_dir.glob("log-*.jsonl")
    raw = log.read_bytes()
    segments: list[bytes] = [line + b"\n" for line in raw.split(b"\n")[:-1]]
    owners = [saved_by(line) for line in segments]
    assert [o for o in owners if o] == [
        r["id"] for r in (records[before:] if compacted else records)
    ]
    originals = list(segments)
    snapshot_damaged = False

    for mutation in mutations:
        kind = mutation[0]
        if kind == "flip" and segments:
            total = b"".join(segments)
            at = mutation[1] % len(total)
            for i, segment in enumerate(segments):
                if at < len(segment):
                    changed = bytearray(segment)
                    changed[at] ^= 1 << mutation[2]
                    segments[i] = bytes(changed)
                    break
                at -= len(segment)
        elif kind == "garbage":
            at = mutation[1] % (len(segments) + 1)
            segments.insert(at, mutation[2].replace(b"\n", b"") + b"\n")
            owners.insert(at, None)
            originals.insert(at, b"")
        elif kind == "valid":
            at = mutation[1] % (len(segments) + 1)
            segments.insert(at, checksummed(mutation[2]))
            owners.insert(at, None)
            originals.insert(at, b"")
        elif kind == "append":
            segments.append(mutation[1])
            owners.append(None)
            originals.append(b"")
        elif kind == "truncate" and segments:
            segments[-1] = segments[-1][: -mutation[1]]
        elif kind == "duplicate" and segments:
            copy = segments[mutation[1] % len(segments)]
            at = mutation[2] % (len(segments) + 1)
            segments.insert(at, copy)
            owners.insert(at, None)
            originals.insert(at, b"")
        elif kind == "crlf":
            for i, segment in enumerate(segments):
                crlf = segment.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                if originals[i] == segment:
                    originals[i] = crlf
                segments[i] = crlf
        elif kind == "junk":
            name = f"{mutation[1]}-{mutation[2]:06d}.json" + ("l" if mutation[1] == "log" else "")
            path = store_dir / name
            if not path.exists():
                path.write_bytes(mutation[3])
        elif kind == "snapshot-flip" and compacted:  # the store's own snapshot, not junk
            snapshot = store_dir / "snapshot-000001.json"
            data = bytearray(snapshot.read_bytes())
            data[mutation[1] % len(data)] ^= 0x10
            snapshot.write_bytes(bytes(data))
            snapshot_damaged = True
    log.write_bytes(b"".join(segments))

    # a record is intact when its line is unchanged, whole, and the line before it is whole
    intact = [] if snapshot_damaged else list(records[:before] if compacted else [])
    by_id = {r["id"]: r for r in records}
    for i, owner in enumerate(owners):
        whole = segments[i] == originals[i] and segments[i].endswith(b"\n")
        if owner and whole and (i == 0 or segments[i - 1].endswith(b"\n")):
            intact.append(by_id[owner])

    seen = contents(data_dir)
    runner = CliRunner()
    stats = runner.invoke(cli, ["stats", "--data", str(data_dir)])
    no_traceback(stats)
    export = runner.invoke(cli, ["export", "--data", str(data_dir), "--format", "jsonl"])
    no_traceback(export)
    csv = runner.invoke(
        cli, ["export", "--data", str(data_dir), "--format", "csv", "--survey", "gentofte-moedes"]
    )
    no_traceback(csv)
    assert contents(data_dir) == seen, "a read-only command changed, made or removed a file"
    if not snapshot_damaged:
        assert export.exit_code == 0, export.output
    if export.exit_code == 0:
        exported = [json.loads(line) for line in export.stdout.splitlines()]
        assert all(isinstance(row.get("id"), str) for row in exported)
        for kept in intact:
            assert public_view(kept) in exported, "an intact record is missing from the export"

    try:
        store = RecordStore(data_dir, durable=False)
    except StoreCorruptError as exc:
        assert snapshot_damaged, str(exc)
        assert "backup" in str(exc)
        return
    with store:
        listed = store.records()
        for kept in intact:
            assert kept in listed, "an intact record is missing after the kiosk opened the store"
        extra = record(999)
        store.save(extra)
    with RecordStore(data_dir, durable=False) as store:
        listed = store.records()
        assert extra in listed and all(kept in listed for kept in intact)
    repair = runner.invoke(cli, ["repair", "--data", str(data_dir), "--accept-loss"])
    no_traceback(repair)
    assert repair.exit_code == 0, repair.output
    with RecordStore(data_dir, durable=False) as store:
        listed = store.records()
        assert extra in listed and all(kept in listed for kept in intact)
        assert store.health().problems == [], "a repaired store still has problems"
    # what was there at first is still there (a log perhaps grown), in the store or set aside
    everything = [p.read_bytes() for p in data_dir.rglob("*") if p.is_file()]
    for name, (content, _) in seen.items():
        if name.endswith("lock") or not content:
            continue
        assert any(now.startswith(content) for now in everything), f"{name} was destroyed"
