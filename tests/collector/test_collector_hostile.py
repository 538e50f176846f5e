"""The collector trusts nothing it receives (issue 10, items 9 to 14).

A kiosk token is shared by every kiosk of an event, so whatever arrives with it is treated
as hostile: the real collector on a free loopback port, real databases and export folders.
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from helpers.collector import TOKEN, CollectorProcess, kiosk_record
from kiosk.cli import cli
from kiosk.collector.storage import CollectorStorage
from kiosk.config import ConfigError, load_config
from kiosk.ids import KIOSK_ID_MAX_LENGTH

pytestmark = pytest.mark.timeout(180)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ESC_TITLE = "\x1b]0;pwned\x07\x1b[2J"
FORMULA_KEY = '=HYPERLINK("http://x","click")'


def post(collector: CollectorProcess, body: object, headers: dict[str, str] | None = None):
    return requests.post(
        collector.url + "/v1/submissions",
        data=json.dumps(body),  # ensure_ascii: lone surrogates travel as \ud800 escapes
        headers={**(AUTH if headers is None else headers), "Content-Type": "application/json"},
        timeout=30,
    )


def statuses(reply: requests.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [r["status"] for r in reply.json()["results"]]


def export(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "export", "--db", str(db), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=60,
    )


def seeded_db(path: Path, records: list[dict[str, Any]]) -> Path:
    """A collector database already holding ``records`` as stored before the schema was strict
    (the real storage, written directly: defence in depth must not rely on arrival checks)."""
    storage = CollectorStorage(path)
    try:
        storage.store_batch([(r["id"], r) for r in records])
    finally:
        storage.close()
    return path


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


# --- 9. path traversal -------------------------------------------------------------------


def test_survey_ids_that_are_paths_are_refused_on_arrival(
    shared_collector: CollectorProcess, tmp_path: Path
) -> None:
    absolute = str(tmp_path / "x" / "PWNED-abs")
    records = [
        kiosk_record("travel", 1, survey_id=absolute),
        kiosk_record("travel", 2, survey_id="../PWNED-rel"),
        kiosk_record("travel", 3),
    ]
    reply = post(shared_collector, {"kiosk_id": "travel", "records": records})
    assert statuses(reply) == ["invalid", "invalid", "accepted"]
    assert "survey_id" in reply.json()["results"][0]["error"]
    assert set(shared_collector.rows("travel")) == {records[2]["id"]}


def test_export_writes_nothing_outside_the_output_folder(tmp_path: Path) -> None:
    outside = tmp_path / "x"
    records = [
        kiosk_record("old", 1, survey_id=str(outside / "PWNED-abs")),
        kiosk_record("old", 2, survey_id="../PWNED-rel"),
        kiosk_record("old", 3, survey_id=".."),
        kiosk_record("old", 4, survey_id="gentofte-moedes"),
    ]
    db = seeded_db(tmp_path / "old.db", records)
    out = tmp_path / "results" / "csv"
    out.mkdir(parents=True)
    before = files_under(tmp_path)
    run = export(db, "--format", "csv", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    new = files_under(tmp_path) - before
    assert new and all(path.parent == out for path in new), sorted(map(str, new))
    assert not outside.exists()
    assert len(new) == 4  # every survey got its own file, none was overwritten by another
    assert (out / "gentofte-moedes.csv").is_file()  # a proper id keeps its name
    exported = sum(len(path.read_text().splitlines()) - 1 for path in new)
    assert exported == 4


# --- 10. strict validation, no coercion -----------------------------------------------


BAD_FIELDS = [
    ("survey_version", "1"),
    ("survey_version", True),
    ("survey_version", 1.0),
    ("completed", "yes"),
    ("completed", 1),
    ("started_at", "9999-99-99T99:99:99Z"),
    ("submitted_at", "2026-02-30T10:00:00Z"),
    ("started_at", "2026-09-05 10:00:00"),
    ("survey_id", "s" * 65),
    ("survey_id", "Gentofte Mødes"),
    ("lang", "da\n"),
    ("answers", {"q" * 65: "x"}),
    ("answers", {"q": "x" * 1001}),
    ("answers", {"q": 1.5}),
    ("answers", {"q": ["a"] * 101}),
    ("suspect", "no"),
    ("ref", "../../etc"),
    ("idea", {"theme": "Klima!", "title": "t"}),
]


@pytest.mark.parametrize(
    ("field", "value"), BAD_FIELDS, ids=[f"{f}={v!r}"[:40] for f, v in BAD_FIELDS]
)
def test_records_that_break_the_schema_are_refused_without_coercion(
    shared_collector: CollectorProcess, field: str, value: Any
) -> None:
    kiosk = f"strict-{abs(hash((field, repr(value)))) % 10**8}"
    good = kiosk_record(kiosk, 1)
    bad = {**kiosk_record(kiosk, 2), field: value}
    reply = post(shared_collector, {"kiosk_id": kiosk, "records": [bad, good]})
    assert statuses(reply) == ["invalid", "accepted"]
    assert field in reply.json()["results"][0]["error"]
    assert set(shared_collector.rows(kiosk)) == {good["id"]}


def test_a_well_formed_record_of_every_answer_type_is_accepted(
    shared_collector: CollectorProcess,
) -> None:
    """The strict schema still takes everything a kiosk makes (multi-line text, æøå, emoji)."""
    answers = {"valg": "bor", "flere": ["klima", "kultur"], "tal": -42, "ja": False,
               "tekst": "Første linje\nanden linje 🙂", "tom": []}  # fmt: skip
    records = [
        kiosk_record("bus/linje 1", 1, answers=answers, lang="en"),
        kiosk_record(
            "bus/linje 1",
            2,
            kind="idea",
            answers={},
            idea={"theme": "klima", "title": "Flere træer", "description": "Langs\nvejen"},
            ref="GM-7K3Q",
            suspect=True,
        ),
    ]
    records[1]["submitted_at"] = "2026-09-05T10:00:00+00:00"
    reply = post(shared_collector, {"kiosk_id": "bus/linje 1", "records": records})
    assert statuses(reply) == ["accepted", "accepted"]


@pytest.mark.parametrize("kiosk_id", ["k" * (KIOSK_ID_MAX_LENGTH + 1), "k\x1bx", "kiosk\n1", " k"])
def test_a_kiosk_id_the_collector_refuses_is_refused_by_kiosk_init(
    tmp_path: Path, kiosk_id: str
) -> None:
    out = tmp_path / "kiosk.toml"
    result = CliRunner().invoke(cli, ["init", "-o", str(out), "--kiosk-id", kiosk_id, "--no-pin"])
    assert result.exit_code != 0
    assert "kiosk id" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_a_long_kiosk_id_is_refused_by_kiosk_run_and_in_a_config(tmp_path: Path) -> None:
    long_id = "k" * (KIOSK_ID_MAX_LENGTH + 1)
    broken_survey = tmp_path / "survey.yaml"  # on the old code run would stop here, later
    broken_survey.write_text("id: x\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", str(broken_survey), "--kiosk-id", long_id,
         "--data", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "--kiosk-id" in run.stderr and "at most 64 characters" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "data").exists()

    config = tmp_path / "kiosk.toml"
    config.write_text(f'kiosk_id = "{long_id}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="kiosk_id: a kiosk id has at most 64"):
        load_config(config)
    config.write_text('kiosk_id = "bus/linje 1"\n', encoding="utf-8")
    assert load_config(config).kiosk_id == "bus/linje 1"


def test_a_hand_edited_kiosk_id_file_is_refused_by_kiosk_run(tmp_path: Path) -> None:
    from kiosk.app.launch import LaunchError, build_app, load_surveys
    from kiosk.config import KioskConfig
    from kiosk.paths import DEFAULT_SURVEY

    data = tmp_path / "data"
    data.mkdir()
    (data / "kiosk-id").write_text("stand 1\x1b[2J\n", encoding="utf-8")
    with pytest.raises(LaunchError) as refused:
        build_app(KioskConfig(), load_surveys([DEFAULT_SURVEY]), data)
    err = str(refused.value)
    assert "kiosk-id" in err and "a kiosk id is" in err and "\x1b" not in err


# --- 11. sanitising on arrival and on output ------------------------------------------


def test_hostile_text_and_keys_are_refused_on_arrival(shared_collector: CollectorProcess) -> None:
    records = [
        kiosk_record("hostile", 1, answers={FORMULA_KEY: "x"}),
        kiosk_record("hostile", 2, answers={"q": "ok\x1b[2J"}),
        kiosk_record("hostile", 3, answers={"q": "ok\u202eevil"}),
        kiosk_record(
            "hostile", 4, kind="idea", answers={}, idea={"theme": "klima", "title": ESC_TITLE}
        ),
        kiosk_record(
            "hostile",
            5,
            kind="idea",
            answers={},
            idea={"theme": "klima", "title": "ok", "description": "a\x9b2Jb"},
        ),
        kiosk_record("hostile", 6),
    ]
    reply = post(shared_collector, {"kiosk_id": "hostile", "records": records})
    assert statuses(reply) == ["invalid"] * 5 + ["accepted"]
    errors = " ".join(r.get("error", "") for r in reply.json()["results"])
    assert "HYPERLINK" not in errors and "\x1b" not in reply.text  # nothing echoed back


def test_export_escapes_what_an_old_database_still_holds(tmp_path: Path) -> None:
    idea = kiosk_record("old", 1, kind="idea", answers={FORMULA_KEY: "=1+1", "q\x1b[2J": "x"},
                        idea={"theme": "klima", "title": "Træer" + ESC_TITLE,
                              "description": "a\x9b2J\u202eb\nc"})  # fmt: skip
    db = seeded_db(tmp_path / "old.db", [idea, kiosk_record("old\x1b[31m", 2)])
    for fmt in ("csv", "jsonl"):
        run = export(db, "--format", fmt, "--survey", "gentofte-moedes")
        assert run.returncode == 0, run.stderr
        for shown in (run.stdout, run.stderr):
            assert not any(c in shown for c in "\x1b\x07\x9b\u202e"), repr(shown[:300])
        assert "Træer" in run.stdout  # the text itself is kept, without its escapes
    out = tmp_path / "csv"
    out.mkdir()
    run = export(db, "--format", "csv", "--out", str(out))
    assert run.returncode == 0, run.stderr
    header = (out / "gentofte-moedes.csv").read_text().splitlines()[0]
    cells = next(__import__("csv").reader([header]))
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), cells
    assert "'" + FORMULA_KEY in cells  # kept, but as text a spreadsheet does not run


# --- 12. the token before the body ---------------------------------------------------------


def test_invalid_json_without_a_token_is_401(shared_collector: CollectorProcess) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        reply = requests.post(
            shared_collector.url + "/v1/submissions",
            data=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
            timeout=10,
        )
        assert reply.status_code == 401
    with_token = requests.post(
        shared_collector.url + "/v1/submissions",
        data=b"{not json",
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=10,
    )
    assert with_token.status_code == 422
    assert "Traceback" not in shared_collector.log.read_text()


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _post_raw(port: int, body: bytes, replies: list[str]) -> None:
    """POST without a token, sending the whole body unless the collector stops us."""
    head = (
        f"POST /v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        with contextlib.suppress(OSError):  # refused before the body was read: may be closed
            sock.sendall(head + body)
        try:
            replies.append(sock.recv(200).decode("latin1"))
        except OSError as exc:
            replies.append(f"closed: {exc}")


def test_bodies_without_a_token_are_not_read(tmp_path: Path, token_file: Path) -> None:
    """8 concurrent 7.8 MB posts without the token leave the collector's memory as it was."""
    collector = CollectorProcess(tmp_path / "mem.db", token_file).start()
    try:
        assert collector.proc is not None
        pid = collector.proc.pid
        record = kiosk_record("mem", 1, answers={"q": "x" * 1000})
        count = 7_800_000 // len(json.dumps(record))
        body = json.dumps({"kiosk_id": "mem", "records": [record] * count}).encode()
        assert 7_500_000 < len(body) < 8 * 1024 * 1024
        requests.get(collector.url + "/v1/health", timeout=5)
        before = _rss_kib(pid)
        replies: list[str] = []
        threads = [threading.Thread(target=_post_raw, args=(collector.port, body, replies))
                   for _ in range(8)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        grew_mib = (_peak_rss_kib(pid) - before) / 1024
        assert len(replies) == 8
        assert all(" 401 " in reply for reply in replies if reply.startswith("HTTP")), replies
        assert grew_mib < 40, f"the collector grew by {grew_mib:.0f} MiB"
        assert collector.rows() == {}
    finally:
        collector.stop()


def test_a_chunked_body_over_the_limit_is_413_as_it_is_read(
    tmp_path: Path, token_file: Path
) -> None:
    """Without a Content-Length the limit is counted while the body arrives."""
    collector = CollectorProcess(tmp_path / "chunked.db", token_file, "--max-body", "4096").start()
    try:
        records = [kiosk_record("chunked", n) for n in range(30)]
        body = json.dumps({"kiosk_id": "chunked", "records": records}).encode()
        chunks = (body[i : i + 1000] for i in range(0, len(body), 1000))
        reply = requests.post(
            collector.url + "/v1/submissions",
            data=chunks,
            headers={**AUTH, "Content-Type": "application/json"},
            timeout=30,
        )
        assert reply.status_code == 413
        assert collector.rows() == {}
        small = json.dumps({"kiosk_id": "chunked", "records": records[:2]}).encode()
        reply = requests.post(
            collector.url + "/v1/submissions",
            data=iter([small[:100], small[100:]]),
            headers={**AUTH, "Content-Type": "application/json"},
            timeout=30,
        )
        assert statuses(reply) == ["accepted", "accepted"]
    finally:
        collector.stop()
    assert "Traceback" not in collector.log.read_text()


# --- 13. lone surrogates ---------------------------------------------------------------


def test_a_lone_surrogate_makes_that_record_invalid_not_the_batch(
    shared_collector: CollectorProcess,
) -> None:
    good = [kiosk_record("surrogate", n) for n in range(2)]
    in_answer = kiosk_record("surrogate", 3, answers={"q": "\ud800"})
    in_key = kiosk_record("surrogate", 4, answers={"\udfff": "x"})
    as_id = {**kiosk_record("surrogate", 5), "id": "\ud800"}
    in_title = kiosk_record("surrogate", 6, kind="idea", answers={},
                            idea={"theme": "klima", "title": "a\udc80b"})  # fmt: skip
    batch = [good[0], in_answer, in_key, as_id, in_title, good[1]]
    reply = post(shared_collector, {"kiosk_id": "surrogate", "records": batch})
    assert statuses(reply) == ["accepted", "invalid", "invalid", "invalid", "invalid", "accepted"]
    assert reply.json()["results"][3]["id"] == "\ud800"  # the id the kiosk sent, for matching
    assert set(shared_collector.rows("surrogate")) == {r["id"] for r in good}
    assert "Traceback" not in shared_collector.log.read_text()


@pytest.mark.parametrize("depth", [900, 100_000])
def test_deeply_nested_bodies_are_refused_never_a_500(
    shared_collector: CollectorProcess, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    for body in (
        nested,
        '{"kiosk_id": "deep", "records": [{"id": ' + nested + "}]}",
        '{"kiosk_id": "deep", "records": [{"answers": {"q": ' + nested + "}}]}",
    ):
        reply = requests.post(
            shared_collector.url + "/v1/submissions",
            data=body.encode(),
            headers={**AUTH, "Content-Type": "application/json"},
            timeout=30,
        )
        assert reply.status_code in (200, 422)
        if reply.status_code == 200:
            assert statuses(reply) == ["invalid"]
    assert shared_collector.rows("deep") == {}
    assert "Traceback" not in shared_collector.log.read_text()


# --- 14. log injection -----------------------------------------------------------------


def test_a_kiosk_id_cannot_forge_a_log_line_or_write_escapes(
    tmp_path: Path, token_file: Path
) -> None:
    forged = "k\nINFO kiosk.collector: kiosk attacker: 999 accepted\x1b[2J"
    collector = CollectorProcess(tmp_path / "log.db", token_file).start()
    try:
        record = kiosk_record(forged, 1)
        reply = post(collector, {"kiosk_id": forged, "records": [record]})
        assert reply.status_code == 422
        odd = kiosk_record("odd (stand) #1", 2)
        assert statuses(post(collector, {"kiosk_id": "odd (stand) #1", "records": [odd]})) == [
            "accepted"
        ]
        requests.get(collector.url + "/v1/kiosks/k%0A%1B[2J/digest", headers=AUTH, timeout=5)
    finally:
        collector.stop()
    log = collector.log.read_bytes()
    assert b"\x1b" not in log
    assert not any(
        line.startswith(b"INFO kiosk.collector: kiosk attacker") for line in log.splitlines()
    )
    assert b'kiosk "odd (stand) #1": 1 accepted' in log
    assert b"refused a submission: body.kiosk_id" in log


def test_odd_keys_are_not_echoed_back(shared_collector: CollectorProcess) -> None:
    """An error about a record's keys names no key the schema does not know."""
    record = copy.deepcopy(kiosk_record("keys", 1))
    record["x" * 500 + "\x1b"] = 1
    reply = post(shared_collector, {"kiosk_id": "keys", "records": [record]})
    assert statuses(reply) == ["invalid"]
    assert "xxxx" not in reply.text and "<key>" in reply.text
