"""Damaged, foreign and read-only stores (issue 10, items 2 to 9): the store never destroys
what it holds, read-only commands change nothing, and every problem is one clear message.

Real stores on disk and the real ``kiosk`` commands (in-process through click's runner, or
as a child process where the operating system must impose a limit).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.store import RecordStore

Make = Callable[..., dict[str, Any]]


def kiosk(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def saved_store(data_dir: Path, make_record: Make, count: int) -> list[dict[str, Any]]:
    records = [make_record(answers={"n": n}) for n in range(count)]
    with RecordStore(data_dir, durable=False) as store:
        for record in records:
            store.save(record)
    return records


def log_of(data_dir: Path) -> Path:
    (log,) = sorted((data_dir / "store").glob("log-*.jsonl"))
    return log


def state_of(data_dir: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the data directory with its content and modification time."""
    return {
        str(p.relative_to(data_dir)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(data_dir.rglob("*"))
        if p.is_file()
    }


def checksummed(body: str) -> bytes:
    raw = body.encode()
    return b"%08x %s\n" % (zlib.crc32(raw), raw)


def exported_ids(data_dir: Path) -> list[Any]:
    result = kiosk("export", "--data", data_dir, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    return [json.loads(line).get("id") for line in result.stdout.splitlines()]


# --- item 2: CRLF line endings -------------------------------------------------------------


def test_a_log_with_crlf_line_endings_reads_whole_and_is_not_rewritten(
    tmp_path: Path, make_record: Make
) -> None:
    data_dir = tmp_path / "data"
    records = saved_store(data_dir, make_record, 50)
    log = log_of(data_dir)
    log.write_bytes(log.read_bytes().replace(b"\n", b"\r\n"))  # a copy through a Windows tool
    before = state_of(data_dir)
    result = kiosk("stats", "--data", data_dir)
    assert result.exit_code == 0 and "50 records" in result.stdout, result.output
    assert "warning" not in result.stderr
    assert state_of(data_dir) == before
    with RecordStore(data_dir) as store:  # the kiosk goes on saving after the CRLF lines
        assert store.records() == records and store.health().problems == []
        store.save(make_record())
    with RecordStore(data_dir) as store:
        assert len(store) == 51


def test_a_log_of_which_nothing_can_be_read_is_never_called_recovered(
    tmp_path: Path, make_record: Make
) -> None:
    data_dir = tmp_path / "data"
    saved_store(data_dir, make_record, 5)
    log = log_of(data_dir)
    header, *lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(header + b"".join(b"ffffffff" + line[8:] for line in lines))
    before = state_of(data_dir)
    result = kiosk("stats", "--data", data_dir)
    assert result.exit_code == 0, result.output
    assert "5 damaged line(s)" in result.stderr and "no line of the log" in result.stderr
    assert "recovered" not in result.output and "No records yet" not in result.output
    assert state_of(data_dir) == before


# --- item 3: a damaged last line that was confirmed ---------------------------------------


def test_a_damaged_complete_last_line_is_damage_not_an_unconfirmed_write(
    tmp_path: Path, make_record: Make
) -> None:
    data_dir = tmp_path / "data"
    records = saved_store(data_dir, make_record, 4)
    log = log_of(data_dir)
    raw = bytearray(log.read_bytes())
    raw[-30] ^= 0x01  # inside the last line, which ends in its newline: it was confirmed
    log.write_bytes(bytes(raw))
    result = kiosk("stats", "--data", data_dir)
    assert "1 damaged line(s)" in result.stderr, result.output
    assert "incomplete" not in result.stderr and "interrupted" not in result.stderr
    with RecordStore(data_dir) as store:
        assert store.records() == records[:3]
        (problem,) = store.health().problems
        assert "damaged line" in problem and "incomplete" not in problem
    assert log.read_bytes() == bytes(raw), "opening cut off a confirmed line"


# --- item 4: a store whose files vanished --------------------------------------------------


@pytest.mark.parametrize("how", ["empty", "missing"])
def test_a_store_whose_log_vanished_says_so(tmp_path: Path, make_record: Make, how: str) -> None:
    data_dir = tmp_path / "data"
    saved_store(data_dir, make_record, 3)
    store_dir = data_dir / "store"
    for path in store_dir.iterdir():
        if path.name != "lock":
            path.unlink()
    if how == "empty":
        (store_dir / "log-000000.jsonl").write_bytes(b"")
    before = state_of(data_dir)
    result = kiosk("stats", "--data", data_dir)
    assert "No records yet" not in result.stdout, result.output
    assert "log-000000.jsonl" in result.stderr and "backup" in result.stderr, result.output
    assert "vanished" in result.stderr or "lost" in result.stderr
    assert state_of(data_dir) == before, "a read-only command created or changed a file"
    with RecordStore(data_dir) as store:  # the kiosk says so too (on its organiser screen)
        (problem,) = store.health().problems
        assert "log-000000.jsonl" in problem and "backup" in problem


# --- item 5: intact lines of the wrong shape -----------------------------------------------

WRONG_SHAPES = {
    "value-not-a-document": '[{"t":"records.00000","u":{"9999":"oops"}}]',
    "bare-object": '{"t":"records.00000","u":{"9999":"oops"}}',
    "u-as-a-list": '[{"t":"records.00000","u":["a","b"]}]',
    "document-id-abc": '[{"t":"records.00000","u":{"abc":{"id":"x","survey_id":"s"}}}]',
    "document-without-id": '[{"t":"records.00000","u":{"77":{"survey_id":"gentofte-moedes"}}}]',
    "survey-id-a-list": '[{"t":"records.00000","u":{"78":{"id":"y","survey_id":["a"]}}}]',
    "unknown-table": '[{"t":"_default","u":{"1":{"id":"z"}}}]',
    # fields readers group, sort or hash by, of a type no kiosk writes: tracebacks in stats
    # and export; an id of 100,000 characters kept stats wrapping it for minutes
    "sync-status-a-list": '[{"t":"records.00000","u":{"80":{"id":"v","sync_status":[1]}}}]',
    "sync-status-an-object": '[{"t":"records.00000","u":{"81":{"id":"u","sync_status":{}}}}]',
    "survey-version-a-list": '[{"t":"records.00000","u":{"82":{"id":"t","survey_version":[1]}}}]',
    "survey-id-null": '[{"t":"records.00000","u":{"83":{"id":"r","survey_id":null}}}]',
    "kind-null": '[{"t":"records.00000","u":{"84":{"id":"q","kind":null}}}]',
    "id-of-100000-characters": '[{"t":"records.00000","u":{"85":{"id":"' + "i" * 100_000 + '"}}}]',
    # escapes no kiosk writes into an id-like text: kiosk stats and export printed them raw
    "escape-in-kiosk-id": '[{"t":"records.00000","u":{"87":{"id":"o","kiosk_id":"k\\u001b[2J"}}}]',
    "escape-in-record-id": '[{"t":"records.00000","u":{"88":{"id":"n\\u001b]0;t\\u0007"}}}]',
    "escape-in-answer-key": '[{"t":"records.00000","u":{"89":{"id":"m",'
    + '"answers":{"q\\u009b":1}}}}]',
    "answer-key-of-100000-characters": '[{"t":"records.00000","u":{"86":{"id":"p","answers":{"'
    + "k" * 100_000
    + '":1}}}}]',
    "entry-not-an-object": "[1, null]",
    "deep-nesting": "[" * 50000 + "]" * 50000,
    "deep-answers": '[{"t":"records.00000","u":{"79":{"id":"w","survey_id":"s","answers":{"q":'
    + "[" * 900
    + "]" * 900
    + "}}}}]",
}


@pytest.mark.parametrize("shape", sorted(WRONG_SHAPES))
def test_a_line_of_the_wrong_shape_is_skipped_and_reported_never_a_traceback(
    tmp_path: Path, make_record: Make, shape: str
) -> None:
    data_dir = tmp_path / "data"
    records = saved_store(data_dir, make_record, 3)
    log = log_of(data_dir)
    with log.open("ab") as out:
        out.write(checksummed(WRONG_SHAPES[shape]))
    before = state_of(data_dir)
    result = kiosk("stats", "--data", data_dir)
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "3 records" in result.stdout and "does not fit" in result.stderr, result.output
    assert not any(c in result.output for c in "\x1b\x07\x9b"), "an escape reached the terminal"
    assert exported_ids(data_dir) == [r["id"] for r in records]
    csv = kiosk("export", "--data", data_dir, "--format", "csv", "--survey", "gentofte-moedes")
    assert csv.exit_code == 0 and len(csv.stdout.splitlines()) == 4, csv.output
    assert state_of(data_dir) == before
    with RecordStore(data_dir) as store:  # the kiosk opens it, and goes on saving
        assert store.records() == records
        store.save(make_record())
        assert len(store) == 4


def test_the_kiosk_never_saves_what_reading_would_set_aside(
    tmp_path: Path, make_record: Make
) -> None:
    with RecordStore(tmp_path / "data") as store:
        for field, value in (("sync_status", [1]), ("survey_version", "1"), ("survey_id", None)):
            with pytest.raises(ValueError, match=field):
                store.save({**make_record(), field: value})
        assert len(store) == 0


def test_export_writes_no_escape_a_forged_answer_holds(tmp_path: Path, make_record: Make) -> None:
    """The kiosk cleans what visitors type, but a line forged into a store is not typed: export
    cleans on the way out, as ``kiosk collector export`` does, before it reaches a terminal."""
    data_dir = tmp_path / "data"
    forged = make_record(
        kind="idea",
        answers={"tilknytning": "bor\x1b]0;owned\x07", "alder": 42},
        idea={"theme": "klima", "title": "Træer\x1b[2J", "description": "a\x9b2J\u202eb\nc"},
    )
    with RecordStore(data_dir, durable=False) as store:
        store.save(forged)
    for fmt in ("csv", "jsonl"):
        result = kiosk("export", "--data", data_dir, "--format", fmt, "--survey", "gentofte-moedes")
        assert result.exit_code == 0, result.output
        assert not any(c in result.output for c in "\x1b\x07\x9b\u202e"), repr(result.output)
        assert "Træer" in result.stdout and "bor" in result.stdout  # the text itself is kept


# --- item 6: junk newer files ---------------------------------------------------------------


def test_junk_newer_files_fall_back_to_the_newest_intact_generation(
    tmp_path: Path, make_record: Make
) -> None:
    data_dir = tmp_path / "data"
    records = [make_record(answers={"n": n}) for n in range(9)]
    with RecordStore(data_dir) as store:
        for n, record in enumerate(records):
            store.save(record)
            if n % 3 == 2:
                store.compact()  # generation 3 at the end
    store_dir = data_dir / "store"
    (store_dir / "snapshot-000009.json").write_bytes(os.urandom(500))
    (store_dir / "log-000009.jsonl").write_bytes(b"")
    before = state_of(data_dir)
    result = kiosk("stats", "--data", data_dir)
    assert result.exit_code == 0 and "9 records" in result.stdout, result.output
    assert "snapshot-000009.json" in result.stderr and "log-000009.jsonl" in result.stderr
    assert state_of(data_dir) == before, "a read-only command moved the junk"
    with RecordStore(data_dir) as store:
        assert store.records() == records
        problems = store.health().problems
    assert len(problems) == 2 and all("moved to" in p for p in problems), problems
    kept = sorted(p.name.split(".2")[0] for p in (store_dir / "damaged").iterdir())
    assert kept == ["log-000009.jsonl", "snapshot-000009.json"]
    with RecordStore(data_dir) as store:
        assert store.records() == records and store.health().problems == []


# --- item 7: a read-only data directory ------------------------------------------------------

AUDIT_CHILD = r"""
import os, sys
data = os.path.realpath(sys.argv[1])
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

def inside(path):
    try:
        return os.path.realpath(os.fsdecode(path)).startswith(data)
    except TypeError:
        return False

def hook(event, args):
    if event == "open" and inside(args[0]):
        mode, flags = args[1] or "", args[2] or 0
        if any(c in mode for c in "wax+") or flags & WRITE:
            os.write(2, b"WROTE " + os.fsencode(args[0]) + b"\n")
            os._exit(99)
    elif event in ("os.remove", "os.rename", "os.mkdir", "os.truncate", "os.chmod") and inside(
        args[0]
    ):
        os.write(2, b"CHANGED " + os.fsencode(args[0]) + b"\n")
        os._exit(99)

sys.addaudithook(hook)
from kiosk.cli import main
sys.argv = ["kiosk", *sys.argv[2:]]
main()
"""


@contextlib.contextmanager
def read_only_view(source: Path, target: Path) -> Iterator[str]:
    """``target`` shows ``source`` write-protected, as a write-protected USB copy would.

    As root, permissions do not stop writes: a read-only bind mount does. Without the
    right to mount, the audit hook of the child process is the proof.
    """
    target.mkdir()
    if os.geteuid() != 0:
        shutil.copytree(source, target, dirs_exist_ok=True)
        for path in [target, *target.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            yield "chmod"
        finally:
            for path in [target, *target.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)
        return
    bind = subprocess.run(["mount", "--bind", str(source), str(target)], check=False)
    if bind.returncode != 0:
        shutil.copytree(source, target, dirs_exist_ok=True)
        yield "audit hook only"
        return
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], check=True)
        with pytest.raises(OSError):
            (target / "probe").write_text("x")
        yield "read-only bind mount"
    finally:
        subprocess.run(["umount", str(target)], check=True)


def test_a_read_only_data_directory_can_be_exported_and_counted(
    tmp_path: Path, make_record: Make
) -> None:
    source = tmp_path / "source"
    records = saved_store(source, make_record, 20)
    with RecordStore(source) as store:
        store.compact()
        store.save(make_record())
    before = state_of(source)
    view = tmp_path / "usb"
    out = tmp_path / "out"
    out.mkdir()
    with read_only_view(source, view):
        seen = state_of(view)
        for args in (
            ["export", "--data", view, "--format", "jsonl", "--out", out / "all.jsonl"],
            ["export", "--data", view, "--format", "csv", "--out", f"{out}/csv/"],
            ["stats", "--data", view],
        ):
            done = subprocess.run(
                [sys.executable, "-c", AUDIT_CHILD, str(view), *map(str, args)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            assert "warning" not in done.stderr and "Traceback" not in done.stderr
        assert state_of(view) == seen
    assert state_of(source) == before, "reading changed a file, or made a new one"
    lines = (out / "all.jsonl").read_text().splitlines()
    assert len(lines) == 21 and [json.loads(x)["id"] for x in lines[:20]] == [
        r["id"] for r in records
    ]
    assert len((out / "csv" / "gentofte-moedes.csv").read_text().splitlines()) == 22


# --- item 8: export to a full disk -----------------------------------------------------------


def limit_file_size() -> None:
    """In the child: files may not grow beyond 16 KiB, so a longer write fails with EFBIG."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))


@pytest.mark.parametrize("existing", [True, False], ids=["over-an-old-export", "new-file"])
def test_export_to_a_full_disk_is_one_line_and_leaves_no_cut_file(
    tmp_path: Path, make_record: Make, existing: bool
) -> None:
    data_dir = tmp_path / "data"
    saved_store(data_dir, make_record, 200)  # about 60 KB of JSON lines
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "kiosk-1.jsonl"
    if existing:
        target.write_text("the export of yesterday\n")
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "export", "--data", str(data_dir), "--out", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit_file_size,
    )
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert "disk is full" in line and str(target) in line, line
    assert sorted(p.name for p in out_dir.iterdir()) == (["kiosk-1.jsonl"] if existing else [])
    if existing:
        assert target.read_text() == "the export of yesterday\n"
    again = kiosk("export", "--data", data_dir, "--out", target)  # room again: it works
    assert again.exit_code == 0 and len(target.read_text().splitlines()) == 200


# --- item 9: kiosk repair --------------------------------------------------------------------


def test_kiosk_repair_refuses_a_loss_unless_accepted_and_keeps_a_copy(
    tmp_path: Path, make_record: Make
) -> None:
    data_dir = tmp_path / "data"
    records = saved_store(data_dir, make_record, 6)
    log = log_of(data_dir)
    header, *lines = log.read_bytes().splitlines(keepends=True)
    lines[2] = b"00000000" + lines[2][8:]
    damaged = header + b"".join(lines)
    log.write_bytes(damaged)
    before = state_of(data_dir)

    refused = kiosk("repair", "--data", data_dir)
    assert refused.exit_code == 1 and "fewer records" in refused.stderr, refused.output
    assert "--accept-loss" in refused.stderr
    assert state_of(data_dir) == before

    done = kiosk("repair", "--data", data_dir, "--accept-loss")
    assert done.exit_code == 0 and "5 records kept" in done.stdout, done.output
    (backup,) = (data_dir / "store" / "damaged").glob("repair-*")
    assert (backup / log.name).read_bytes() == damaged
    after = kiosk("stats", "--data", data_dir)
    assert "5 records" in after.stdout and "warning" not in after.stderr, after.output
    assert exported_ids(data_dir) == [r["id"] for r in records[:2] + records[3:]]
    clean = kiosk("repair", "--data", data_dir)
    assert clean.exit_code == 0 and "Nothing to repair" in clean.stdout
