"""``kiosk serve`` on the command line and with the collector: one sync for the directory,
clear one-line errors, the warning for the venue's network. Real processes, bounded waits."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from helpers.collector import TOKEN, CollectorProcess
from helpers.serve import (
    CHROMIUM,
    ROOT,
    ServeProcess,
    Tablet,
    free_port,
    session_pids,
    survey_file,
    take_survey,
    wait_for,
)

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[CollectorProcess]:
    token = tmp_path / "collector.token"
    token.write_text(TOKEN + "\n")
    started = CollectorProcess(tmp_path / "collector.db", token).start()
    yield started
    started.stop()


def test_tablet_visits_reach_the_collector_through_the_servers_one_sync(
    tmp_path: Path, collector: CollectorProcess
) -> None:
    survey = survey_file(tmp_path)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'surveys = ["{survey.name}"]\nkiosk_id = "not-a-tablet"\n'
        f'[sync]\nendpoint = "{collector.url}"\ntoken_file = "collector.token"\ninterval = 1\n',
        encoding="utf-8",
    )
    server = ServeProcess(tmp_path / "data", ["--config", str(config)]).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            tablet = Tablet(browser.new_page()).open(server.url("stand-s"))
            take_survey(tablet)
            browser.close()
        rows = wait_for(lambda: collector.rows("stand-s"), 30, "the record at the collector")
        assert len(rows) == 1
        assert collector.rows("not-a-tablet") == {}  # the config's kiosk id names no tablet
    finally:
        server.stop()


def run_serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "serve", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_a_broken_config_or_survey_is_one_line_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("idle_timeout = -1\n", encoding="utf-8")
    done = run_serve("--config", str(config), "--data", str(tmp_path / "d"))
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {config}: idle_timeout")
    assert "Traceback" not in done.stderr
    survey = tmp_path / "bad.yaml"
    survey.write_text("id: x\n", encoding="utf-8")
    done = run_serve(str(survey), "--data", str(tmp_path / "d"))
    assert done.returncode == 1 and "bad.yaml" in done.stderr and "Traceback" not in done.stderr


def test_a_busy_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_serve("--data", str(tmp_path / "d"), "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: the port is in use")


def test_an_address_this_machine_lacks_is_named_with_what_to_do(tmp_path: Path) -> None:
    """192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it; only a bind is tried."""
    port = free_port()  # free now, so only the address can be wrong
    done = run_serve("--data", str(tmp_path / "d"), "--host", "192.0.2.1", "--port", str(port))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        f"Error: cannot listen on 192.0.2.1:{port}: this machine has no address 192.0.2.1; "
        "give --host one of this machine's own addresses"
    )


def test_the_venue_network_is_explicit_and_warned_about(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path / "data", ["--host", "0.0.0.0"]).start()
    try:
        said = "".join(server.output)
        assert "warning: listening on 0.0.0.0" in said
        assert f"?key={server.key}&kiosk=stand-1" in said
    finally:
        server.stop()
    loopback = ServeProcess(tmp_path / "data2").start()
    try:
        assert "warning" not in "".join(loopback.output)
        assert f"http://127.0.0.1:{loopback.port}/?key={loopback.key}" in "".join(loopback.output)
    finally:
        loopback.stop()


@pytest.mark.parametrize("name", ["../x", "-x", "a/b", "", "x" * 65])
def test_a_session_refuses_a_hostile_tablet_name(tmp_path: Path, name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.serve.session", "--data", str(tmp_path), f"--kiosk={name}"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: --kiosk:")
    assert not (tmp_path / "store").exists()


def test_each_start_has_a_new_access_key(tmp_path: Path) -> None:
    keys: list[Any] = []
    for _ in range(2):
        server = ServeProcess(tmp_path / "data").start()
        keys.append(server.key)
        server.stop()
    assert keys[0] != keys[1] and all(len(k) >= 20 for k in keys)


def test_another_sites_page_cannot_open_a_kiosk_even_with_the_key(tmp_path: Path) -> None:
    import asyncio

    import aiohttp

    server = ServeProcess(tmp_path / "data").start()
    socket_url = f"ws://127.0.0.1:{server.port}/ws/{server.key}/stand-1?width=80&height=24"

    async def connect(origin: str) -> int:
        async with aiohttp.ClientSession() as client:
            try:
                async with client.ws_connect(
                    socket_url, headers={"Origin": origin}, timeout=aiohttp.ClientWSTimeout(10)
                ) as websocket:
                    await websocket.receive(timeout=30)  # the session speaks: it runs
                    assert len(session_pids(server)) == 1
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    try:
        assert asyncio.run(connect("http://evil.example")) == 403
        assert session_pids(server) == []
        assert asyncio.run(connect(f"http://127.0.0.1:{server.port}")) == 101
        wait_for(lambda: session_pids(server) == [], 20, "the session to end after closing")
    finally:
        server.stop()
