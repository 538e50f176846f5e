"""``kiosk sync`` and ``scripts/sync-after-event`` as an organiser runs them after the event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from helpers.collector import (
    TOKEN,
    CollectorProcess,
    assert_invariants,
    fill,
    free_port,
    kiosk_record,
)
from helpers.faultproxy import FaultProxy, captive_portal
from kiosk.paths import PROJECT_ROOT
from kiosk.store import RecordStore

pytestmark = pytest.mark.timeout(120)
SCRIPT = PROJECT_ROOT / "scripts" / "sync-after-event"
#: The wrapper script runs the venv these tests run in.
SCRIPT_ENV = {**os.environ, "COLUMNS": "160", "BORGERKIOSK_VENV": sys.prefix}


def kiosk_sync(*args: str, env_token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KIOSK_TOKEN", "KIOSK_ENDPOINT")}
    if env_token is not None:
        env["KIOSK_TOKEN"] = env_token
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--retry-delay", "0.01", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )


def test_sync_twice_sends_nothing_the_second_time(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    fill(tmp_path, "cli-twice", 120)
    common = ["--data", str(tmp_path), "--endpoint", shared_collector.url]
    first = kiosk_sync(*common, "--token-file", str(token_file), "--batch-size", "50", "--verify")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "synced now:        120" in first.stdout
    assert "MATCH" in first.stdout and "MISMATCH" not in first.stdout
    second = kiosk_sync(*common, "--verify", env_token=TOKEN)
    assert second.returncode == 0
    assert "synced now:        0" in second.stdout and "already there:     0" in second.stdout
    for run in (first, second):
        assert TOKEN not in run.stdout + run.stderr
    assert_invariants(shared_collector, tmp_path)


def test_rejected_records_are_listed_kept_and_exit_1(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    fill(tmp_path, "cli-conflict", 5)
    with RecordStore(tmp_path) as store:
        clash = store.records()[0]
        # another device already sent a different record under the same id
        other = {**clash, "answers": {"tilknytning": "besøger"}}
        bad = kiosk_record("cli-conflict", 99, survey_hash="not-a-hash")
        store.save(bad)
    requests.post(
        shared_collector.url + "/v1/submissions",
        json={"kiosk_id": "cli-conflict", "records": [other]},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    ).raise_for_status()
    run = kiosk_sync("--data", str(tmp_path), "--endpoint", shared_collector.url,
                     "--verify", env_token=TOKEN)  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{clash['id']} conflict" in run.stdout
    assert f"{bad['id']} invalid: survey_hash" in run.stdout
    assert "nothing was deleted" in run.stdout
    assert "MATCH" in run.stdout  # the conflicting id is there, with the other content
    with RecordStore(tmp_path) as store:
        assert len(store) == 6
        assert store.get(clash["id"])["sync_status"] == "conflict"
        assert store.get(bad["id"])["sync_status"] == "invalid"
        assert store.pending_count() == 0
    again = kiosk_sync("--data", str(tmp_path), "--endpoint", shared_collector.url,
                       env_token=TOKEN)  # fmt: skip
    # nothing is sent again, but the flagged records are still not at the collector
    assert again.returncode == 1 and "synced now:        0" in again.stdout
    assert "rejected earlier:  2 (still flagged)" in again.stdout
    assert f"{bad['id']} invalid: survey_hash" in again.stdout
    assert "Everything is at the collector" not in again.stdout


def test_records_flagged_by_the_background_sync_keep_exit_1(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    """The kiosk's background sync flagged a record during the event: closing it must say so."""
    from kiosk.sync.background import BackgroundSync

    fill(tmp_path, "cli-flagged-bg", 3)
    with RecordStore(tmp_path) as store:
        bad = kiosk_record("cli-flagged-bg", 9, survey_hash="not-a-hash")
        store.save(bad)
        background = BackgroundSync(store, shared_collector.url, TOKEN, interval=3600)
        background.start()
        try:
            assert background.sync_now(wait=30).pending == 0
        finally:
            background.stop()
        assert store.get(bad["id"])["sync_status"] == "invalid"
    run = kiosk_sync("--data", str(tmp_path), "--endpoint", shared_collector.url, "--verify",
                     env_token=TOKEN)  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "synced now:        0" in run.stdout and "MATCH" in run.stdout
    assert f"{bad['id']} invalid: survey_hash" in run.stdout


def test_exit_codes_for_network_auth_and_usage(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    fill(tmp_path, "cli-codes", 3)
    data = ["--data", str(tmp_path)]
    down = kiosk_sync(*data, "--endpoint", f"http://127.0.0.1:{free_port()}",
                      "--attempts", "2", env_token=TOKEN)  # fmt: skip
    assert down.returncode == 2 and "could not reach the collector" in down.stdout
    assert "remaining:         3" in down.stdout
    wrong = kiosk_sync(*data, "--endpoint", shared_collector.url, env_token="wrong-token")
    assert wrong.returncode == 3 and "refused the token" in wrong.stdout
    assert "wrong-token" not in wrong.stdout + wrong.stderr
    no_token = kiosk_sync(*data, "--endpoint", shared_collector.url)
    assert no_token.returncode == 4 and "no token" in no_token.stderr
    no_endpoint = kiosk_sync(*data, env_token=TOKEN)
    assert no_endpoint.returncode == 4 and "--endpoint" in no_endpoint.stderr
    bad_url = kiosk_sync(*data, "--endpoint", "collector.example.dk", env_token=TOKEN)
    assert bad_url.returncode == 4 and "not a usable URL" in bad_url.stdout + bad_url.stderr
    no_data = kiosk_sync("--data", str(tmp_path / "nope"), "--endpoint", shared_collector.url,
                         env_token=TOKEN)  # fmt: skip
    assert no_data.returncode == 4 and "no kiosk data" in no_data.stderr
    usage = kiosk_sync(*data, "--batch-size", "0")
    assert usage.returncode == 4
    empty_token = tmp_path / "empty.token"
    empty_token.write_text("\n")
    empty = kiosk_sync(*data, "--endpoint", shared_collector.url, "--token-file", str(empty_token))
    assert empty.returncode == 4 and "is empty" in empty.stderr
    for run in (down, wrong, no_token, no_endpoint, bad_url, no_data, usage, empty):
        assert "Traceback" not in run.stdout + run.stderr
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == 3  # none of that touched the records


def test_config_file_gives_endpoint_and_token_file(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    data = tmp_path / "data"
    fill(data, "cli-config", 4)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[sync]\nendpoint = "{shared_collector.url}"\ntoken_file = "{token_file.name}"\n'
    )
    assert token_file.parent == config.parent  # token_file is relative to the config
    run = kiosk_sync("--data", str(data), "--config", str(config))
    assert run.returncode == 0, run.stdout + run.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[sync\nendpoint = ")
    bad = kiosk_sync("--data", str(data), "--config", str(broken))
    assert bad.returncode == 4 and "not valid TOML" in bad.stderr


def test_kiosk_sync_reads_the_config_as_kiosk_run_does(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    """One parser: a misspelt [sync] key is named, not ignored and then "no token"."""
    from kiosk.config import ConfigError, load_config

    data = tmp_path / "data"
    fill(data, "cli-one-parser", 1)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[sync]\nendpoint = "{shared_collector.url}"\ntoken_fil = "{token_file.name}"\n'
    )
    run = kiosk_sync("--data", str(data), "--config", str(config))
    assert run.returncode == 4
    assert "unknown key sync.token_fil" in run.stderr
    assert "no token" not in run.stderr
    with pytest.raises(ConfigError, match=r"unknown key sync\.token_fil"):
        load_config(config)  # what kiosk run says about the same file


def test_captive_portal_exit_2_and_verify_mismatch_exit_5(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    fill(tmp_path, "cli-portal", 6)
    with FaultProxy(shared_collector.port) as proxy:
        proxy.queue(*[captive_portal() for _ in range(3)])
        run = kiosk_sync("--data", str(tmp_path), "--endpoint", proxy.url, "--attempts", "3",
                         env_token=TOKEN)  # fmt: skip
    assert run.returncode == 2 and "captive portal" in run.stdout
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == 6
        # a record marked synced that never arrived: verify must notice
        store.mark_synced([store.records()[0]["id"]])
    run = kiosk_sync("--data", str(tmp_path), "--endpoint", shared_collector.url, "--verify",
                     env_token=TOKEN)  # fmt: skip
    assert run.returncode == 5, run.stdout
    assert "MISMATCH, the collector holds 5 records, this kiosk marked 6" in run.stdout


def test_two_sync_processes_on_one_data_dir(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    fill(tmp_path, "cli-race", 600)
    env = {**os.environ, "KIOSK_TOKEN": TOKEN}
    args = [
        *(sys.executable, "-m", "kiosk", "sync", "--data", str(tmp_path)),
        *("--endpoint", shared_collector.url, "--batch-size", "40", "--retry-delay", "0.01"),
    ]
    procs = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert_invariants(shared_collector, tmp_path)


def test_sync_after_event_table(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    dirs = [tmp_path / "kiosk-1", tmp_path / "usb-copy-kiosk-2"]
    fill(dirs[0], "event-1", 30)
    fill(dirs[1], "event-2", 12)
    run = subprocess.run(
        ["bash", str(SCRIPT), "--endpoint", shared_collector.url,
         "--token-file", str(token_file), *map(str, dirs)],
        capture_output=True, text=True, timeout=120,
        env=SCRIPT_ENV,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    row1 = next(line for line in lines if "event-1" in line and "│" in line)
    row2 = next(line for line in lines if "event-2" in line and "│" in line)
    assert [c.strip() for c in row1.split("│")[3:8]] == ["30", "30", "0", "0", "yes"]
    assert [c.strip() for c in row2.split("│")[3:8]] == ["12", "12", "0", "0", "yes"]
    assert_invariants(shared_collector, *dirs)
    missing = subprocess.run(
        ["bash", str(SCRIPT), "--endpoint", shared_collector.url,
         "--token-file", str(token_file), str(tmp_path / "nothing-here")],
        capture_output=True, text=True, timeout=120, env=SCRIPT_ENV,
    )  # fmt: skip
    assert missing.returncode == 4 and "failed (exit 4)" in missing.stdout
    summary = json.dumps(run.stdout)
    assert TOKEN not in summary


def test_sync_while_the_kiosk_keeps_saving(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    """The kiosk app saving into the data directory while ``kiosk sync`` runs on it."""
    fill(tmp_path, "cli-live", 300)
    env = {**os.environ, "KIOSK_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "sync", "--data", str(tmp_path),
         "--endpoint", shared_collector.url, "--batch-size", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    with RecordStore(tmp_path) as store:
        for n in range(100):
            store.save(kiosk_record("cli-live", 1000 + n))
    out, err = proc.communicate(timeout=90)
    assert proc.returncode in (0, 2), out + err  # 2: saves landed after its last batch
    assert "Traceback" not in out + err
    final = kiosk_sync("--data", str(tmp_path), "--endpoint", shared_collector.url,
                       env_token=TOKEN)  # fmt: skip
    assert final.returncode == 0, final.stdout
    with RecordStore(tmp_path) as store:
        assert len(store) == 400
    assert_invariants(shared_collector, tmp_path)


def test_tls_is_verified_and_ca_bundle_trusts_a_municipal_ca(
    tmp_path: Path, token_file: Path
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    collector = CollectorProcess(
        tmp_path / "tls.db", token_file, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)
    ).start()
    data = tmp_path / "data"
    try:
        fill(data, "cli-tls", 5)
        untrusted = kiosk_sync("--data", str(data), "--endpoint", collector.url, env_token=TOKEN)
        assert untrusted.returncode == 4, untrusted.stdout
        assert "could not be verified" in untrusted.stdout and "--ca-bundle" in untrusted.stdout
        trusted = kiosk_sync("--data", str(data), "--endpoint", collector.url,
                             "--ca-bundle", str(cert), "--verify", env_token=TOKEN)  # fmt: skip
        assert trusted.returncode == 0, trusted.stdout + trusted.stderr
        assert_invariants(collector, data)
    finally:
        collector.stop()


def test_a_token_http_cannot_carry_is_refused_and_never_shown(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    fill(tmp_path, "cli-badtoken", 2)
    for n, token in enumerate(("abc\nSECRET-PART", "tøken€SECRET-PART")):
        path = tmp_path / f"token-{n}"
        path.write_text(token, encoding="utf-8")
        run = kiosk_sync("--data", str(tmp_path), "--endpoint", shared_collector.url,
                         "--token-file", str(path))  # fmt: skip
        assert run.returncode == 4, run.stdout + run.stderr
        assert "cannot use the token" in run.stderr
        assert "SECRET" not in run.stdout + run.stderr and "Traceback" not in run.stderr
        serve = subprocess.run(
            [sys.executable, "-m", "kiosk", "collector", "serve", "--db",
             str(tmp_path / "c.db"), "--port", str(free_port()), "--token-file", str(path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert serve.returncode == 4 and "cannot use the token" in serve.stderr
        assert "SECRET" not in serve.stdout + serve.stderr


def test_progress_bar_on_a_terminal(tmp_path: Path, shared_collector: CollectorProcess) -> None:
    """On a terminal ``kiosk sync`` draws a rich progress bar (on stderr, gone at the end)."""
    import pty

    fill(tmp_path, "cli-progress", 60)
    main, child = pty.openpty()
    env = {**os.environ, "KIOSK_TOKEN": TOKEN, "COLUMNS": "100", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "sync", "--data", str(tmp_path),
         "--endpoint", shared_collector.url, "--batch-size", "10"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=child, env=env,
    )  # fmt: skip
    os.close(child)
    seen = b""
    while True:  # until the child closes the terminal (bounded by the test's timeout)
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child side is closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    out = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, out
    drawn = seen.decode("utf-8", "replace")
    assert "Sending" in drawn and "60/60" in drawn
    assert "━" in drawn  # the bar itself
    assert "synced now:        60" in out


def test_sync_after_event_with_a_rejected_record_is_not_done(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    data = tmp_path / "kiosk-3"
    fill(data, "event-3", 4)
    with RecordStore(data) as store:
        store.save(kiosk_record("event-3", 9, survey_hash="not-a-hash"))
    for _run in range(2):  # the second run sends nothing, and still is not done
        run = subprocess.run(
            ["bash", str(SCRIPT), "--endpoint", shared_collector.url, "-v",
             "--token-file", str(token_file), str(data)],
            capture_output=True, text=True, timeout=120, env=SCRIPT_ENV,
        )  # fmt: skip
        assert run.returncode == 1, run.stdout + run.stderr
        row = next(line for line in run.stdout.splitlines() if "event-3" in line and "│" in line)
        assert [c.strip() for c in row.split("│")[3:8]] == ["5", "4", "1", "0", "yes"]
        assert "Not everything is done" in run.stdout
    assert_invariants(shared_collector, data)


def test_ctrl_c_mid_batch_is_a_message_not_a_traceback(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    import signal
    import time

    from helpers.faultproxy import slow_response

    fill(tmp_path, "cli-interrupt", 30)
    with FaultProxy(shared_collector.port) as proxy:
        proxy.queue(slow_response(20.0))  # the collector stores the batch, the answer waits
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "sync", "--data", str(tmp_path),
             "--endpoint", proxy.url, "--batch-size", "10"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "KIOSK_TOKEN": TOKEN},
        )  # fmt: skip
        for _ in range(600):  # until the collector has committed the first batch (bounded)
            if len(shared_collector.rows("cli-interrupt")) == 10:
                break
            time.sleep(0.05)
        assert len(shared_collector.rows("cli-interrupt")) == 10
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, out + err
    assert "interrupted" in err and "Traceback" not in out + err
    with RecordStore(tmp_path) as store:
        assert store.pending_count() == 30  # the unanswered batch is not marked
    final = kiosk_sync("--data", str(tmp_path), "--endpoint", shared_collector.url,
                       env_token=TOKEN)  # fmt: skip
    assert final.returncode == 0, final.stdout
    assert "already there:     10" in final.stdout and "synced now:        20" in final.stdout
    assert_invariants(shared_collector, tmp_path)


def test_sync_after_event_passes_every_connection_option_on() -> None:
    from kiosk.cli.after_event_command import _as_arguments

    arguments = _as_arguments(
        {
            "endpoint": "https://c.example.dk",
            "token_file": Path("t.token"),
            "config_path": None,
            "batch_size": 500,  # the default: left to kiosk sync
            "ca_bundle": None,
            "timeout": 3.0,
            "attempts": 5,
            "retry_delay": 0.01,
            "insecure_http": True,
            "verbose": False,
        }
    )
    assert arguments == [
        "--endpoint", "https://c.example.dk", "--token-file", "t.token",
        "--timeout", "3.0", "--retry-delay", "0.01", "--insecure-http",
    ]  # fmt: skip
