"""``kiosk run``'s supervisor with real child processes, its restart policy, and our driver.

The kiosk itself under the supervisor, in a real terminal, is in tests/e2e/test_e2e_supervise.py.
"""

from __future__ import annotations

import inspect
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.drivers.linux_driver import LinuxDriver

from kiosk.app.driver import LENIENT_DECODER, STRICT_DECODER, LenientLinuxDriver
from kiosk.app.supervise import (
    RestartPolicy,
    describe_exception,
    describe_status,
    log,
    open_log,
    supervise,
)

FAST = {"first_delay": 0.01, "max_delay": 0.02}


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = open_log(tmp_path)
    yield path
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()


def test_restarts_back_off_from_half_a_second_to_four_and_give_up_at_ten_in_five_minutes() -> None:
    policy = RestartPolicy()
    delays = [policy.after_crash(now=float(i), ran_for=1.0) for i in range(9)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    assert policy.after_crash(now=9.0, ran_for=1.0) is None


def test_a_long_run_resets_the_back_off_and_old_crashes_are_forgotten() -> None:
    policy = RestartPolicy()
    for i in range(5):
        policy.after_crash(now=float(i), ran_for=1.0)
    assert policy.after_crash(now=100.0, ran_for=90.0) == 0.5  # ran a while: quick again
    sparse = RestartPolicy()
    for hour in range(30):  # one crash an hour never adds up to giving up
        assert sparse.after_crash(now=hour * 3600.0, ran_for=3600.0) == 0.5


def test_an_exception_is_described_by_type_and_place_never_by_its_message() -> None:
    def handler(answer: str) -> None:
        raise ValueError(f"invalid literal for int(): {answer!r}")

    try:
        handler("Ane Hansen, 12 34 56 78")
    except ValueError as exc:
        text = describe_exception(exc)
    assert text.startswith("ValueError at ")
    assert "in handler" in text and "test_supervise.py" in text
    assert "Ane" not in text and "12 34" not in text


def count_start(counter: Path) -> int:
    """How many times a child has started, kept on disk (each child is a new process)."""
    starts = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(starts))
    return starts


def test_the_app_is_started_again_until_the_organiser_quits(tmp_path: Path, log_file: Path) -> None:
    counter = tmp_path / "starts"

    def run_app() -> bool:
        starts = count_start(counter)
        if starts == 1:
            raise RuntimeError("the visitor typed: hemmelig")
        return starts == 3  # the second ends without the organiser's Quit

    before = signal.getsignal(signal.SIGINT)
    assert supervise(run_app, policy=RestartPolicy(**FAST), log_path=log_file) == 0
    assert counter.read_text() == "3"
    text = log_file.read_text(encoding="utf-8")
    assert "the app raised RuntimeError at" in text and "in run_app" in text
    assert text.count("starting it again") == 2
    assert "the organiser quit the kiosk (run 3)" in text
    assert "hemmelig" not in text
    assert signal.getsignal(signal.SIGINT) is before  # the supervisor put its handlers back


def test_many_crashes_in_a_short_time_make_it_give_up_with_one_clear_line(
    tmp_path: Path, log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counter = tmp_path / "starts"

    def run_app() -> bool:
        count_start(counter)
        return False

    policy = RestartPolicy(max_crashes=3, **FAST)
    assert supervise(run_app, policy=policy, log_path=log_file) == 1
    assert counter.read_text() == "3"
    error = capsys.readouterr().err.strip()
    assert error.startswith("Error: the kiosk app stopped 3 times within 300 s")
    assert str(log_file) in error and "\n" not in error
    assert "not starting it again" in log_file.read_text(encoding="utf-8")


def test_a_killed_app_is_named_by_its_signal() -> None:
    assert describe_status(signal.SIGKILL) == "the app process was killed by SIGKILL"
    assert describe_status(70 << 8) == "the app process exited with code 70"


def test_our_driver_is_textuals_input_loop_with_only_the_decoder_changed() -> None:
    """When this fails after a Textual upgrade: if Textual's decoder is no longer strict
    (Textualize/textual#6456 fixed), delete kiosk/app/driver.py and KioskApp's
    get_driver_class; otherwise copy Textual's new run_input_thread into it again."""
    theirs = inspect.getsource(LinuxDriver.run_input_thread)
    ours = inspect.getsource(LenientLinuxDriver.run_input_thread)
    assert STRICT_DECODER in theirs, "Textual changed its decoder: see this test's docstring"
    ours = "\n".join(line.split("  # noqa")[0] for line in ours.splitlines())
    assert ours == theirs.replace(STRICT_DECODER, LENIENT_DECODER).rstrip("\n")


def test_the_kiosk_app_picks_our_driver_unless_textual_driver_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual import constants

    from kiosk.app.app import KioskApp
    from kiosk.paths import DEFAULT_SURVEY
    from kiosk.survey import load_survey

    app = KioskApp([load_survey(DEFAULT_SURVEY)], lambda: None)  # type: ignore[arg-type,return-value]
    assert app.driver_class is LenientLinuxDriver
    monkeypatch.setattr(constants, "DRIVER", "textual.drivers.linux_driver:LinuxDriver")
    assert app.get_driver_class() is LinuxDriver


def test_sigterm_ends_the_app_and_the_supervisor_without_a_restart(
    tmp_path: Path, log_file: Path
) -> None:
    """The system stopping the kiosk (SIGTERM) is not a crash: nothing is started again."""
    import os
    import threading
    import time

    counter = tmp_path / "starts"

    def run_app() -> bool:
        count_start(counter)
        time.sleep(60)  # a running app; SIGTERM ends it long before
        return True

    def stop_when_started() -> None:
        for _ in range(200):  # bounded: the child writes the counter as it starts
            if counter.exists():
                break
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_when_started, daemon=True).start()
    assert supervise(run_app, policy=RestartPolicy(**FAST), log_path=log_file) == 143
    assert counter.read_text() == "1"
    assert "stopped by the system (the app process was killed by SIGTERM)" in (
        log_file.read_text(encoding="utf-8")
    )
