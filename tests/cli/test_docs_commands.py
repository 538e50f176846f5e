"""Every ``kiosk`` command shown in the README and docs/ runs as written (issue 11).

Commands are read from the fenced shell and text blocks of the Markdown files (in
``console`` blocks, the lines after a ``$`` prompt). Synopses (with ``[options]`` or ``A|B``)
are not commands; ``kiosk run``, ``kiosk init``, ``kiosk serve`` and ``collector serve`` wait
for a person or run until stopped, and are driven in tmux and Pilot tests elsewhere.
Everything else runs in a sandbox folder: absolute paths such as ``/media/usb/kiosk-1`` live
under it, ``surveys/`` is the bundled folder, and the example collector address is a real
collector on 127.0.0.1, the example PostgreSQL database a real database on the tests'
PostgreSQL server. The README's shell completion line runs in a real bash.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.collector import TOKEN, CollectorProcess, fill, kiosk_record
from helpers.pg_server import postgres_server
from kiosk.collector.storage import CollectorStorage
from kiosk.paths import PROJECT_ROOT
from kiosk.records import public_view
from kiosk.store import RecordStore

# one worker runs them in the pages' order (docs/collector-web.md adds an account, then
# removes it), sharing the sandbox
pytestmark = [pytest.mark.timeout(300), pytest.mark.xdist_group("docs-commands")]

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
SHELL_BLOCKS = ("sh", "bash", "console", "shell", "", "text")
#: Subcommands that wait for a person or run until stopped (tested in tmux/Pilot elsewhere).
NOT_HERE = ("kiosk run", "kiosk init", "kiosk serve", "kiosk collector serve")
#: Commands shown with a file only the page itself shows, checked where that file is made.
ELSEWHERE = {
    # the broken survey of docs/survey-format.md, and its output line for line:
    # tests/survey/test_validate.py::test_the_documented_examples_are_true
    "kiosk validate borgermoede.yaml",
}
#: What ``kiosk collector user add`` asks twice (it reads the password from stdin here).
PASSWORD = "documented-password-1\n"
EXAMPLE_COLLECTOR = "https://collector.example.dk"
EXAMPLE_DATABASE = "postgresql://kiosk@db.example.dk/kiosk"


def shown_commands(path: Path) -> list[tuple[str, str]]:
    """(file:line, command) for each ``kiosk ...`` line of the shell blocks in ``path``."""
    found: list[tuple[str, str]] = []
    lang: str | None = None
    joined, first = "", 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            lang = None if lang is not None else line[3:].strip()
            joined = ""
            continue
        if lang not in SHELL_BLOCKS:
            continue
        if not joined:
            first = number
        if line.rstrip().endswith("\\"):
            joined += line.rstrip()[:-1] + " "
            continue
        command = " ".join(re.sub(r"\s+#\s.*$", "", joined + line).split())
        joined = ""
        if lang == "console":  # a transcript: commands follow the prompt, the rest is output
            if not command.startswith("$ "):
                continue
            command = command[2:]
        if command.startswith("kiosk "):
            found.append((f"{path.relative_to(PROJECT_ROOT)}:{first}", command))
    return found


def is_synopsis(command: str) -> bool:
    return "[" in command or "|" in command or "..." in command


COMMANDS = [
    pytest.param(command, id=where)
    for path in DOCS
    for where, command in shown_commands(path)
    if not is_synopsis(command) and not command.startswith(NOT_HERE) and command not in ELSEWHERE
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    (root / "surveys").symlink_to(PROJECT_ROOT / "surveys")
    (root / "collector.token").write_text(TOKEN + "\n", encoding="utf-8")
    for n in (1, 2):  # two kiosks' data, as on two USB sticks
        fill(root / "media" / "usb" / f"kiosk-{n}", f"kiosk-{n}", 6)
    fill(root / "media" / "usb" / "kiosk-data", "stand-1", 3)  # kiosk serve's, for tablets
    # a collector's database holding the first kiosk's records (kiosk report --db)
    with RecordStore(root / "media" / "usb" / "kiosk-1") as store:
        records = [public_view(r) for r in store.records()]
    storage = CollectorStorage(root / "collector.db")
    storage.store_batch([(r["id"], r) for r in records])
    storage.close()
    event = CollectorStorage(root / "festival-2026.db")  # an event's collector, to import
    event.store_batch([(r["id"], r) for r in (kiosk_record("stand-1", n) for n in range(4))])
    event.close()
    database = postgres_server().new_database()
    CollectorStorage(database).close()  # migrated, as collector serve leaves it
    (root / "database.url").write_text(database, encoding="utf-8")
    return root


def as_run_here(command: str, sandbox: Path, collector: str) -> tuple[list[str], Path | None]:
    """The command's words with absolute paths under the sandbox and the local collector,
    globs expanded as a shell does, and the file a ``> FILE`` redirect names."""
    words: list[str] = []
    database = (sandbox / "database.url").read_text(encoding="utf-8")
    command = command.replace(EXAMPLE_DATABASE, database)
    given = shlex.split(command.replace(EXAMPLE_COLLECTOR, collector))
    redirect = None
    if len(given) > 2 and given[-2] == ">":
        redirect = sandbox / given[-1]
        given = given[:-2]
    for word in given:
        if word.startswith("~/"):
            word = str(sandbox / word[2:])
        elif word.startswith("/"):
            word = str(sandbox / word.lstrip("/"))
        if "*" in word:
            matches = sorted(str(p.relative_to(sandbox)) for p in sandbox.glob(word))
            assert matches, f"{word} matches nothing"
            words.extend(matches)
            continue
        words.append(word)
    return [sys.executable, "-m", "kiosk", *words[1:]], redirect


def test_the_docs_show_commands_to_check() -> None:
    assert len(COMMANDS) >= 5
    checked = {param.values[0] for param in COMMANDS}
    # one of each kind of block: sh, a console transcript, a text block, a glob, a redirect
    assert {
        "kiosk validate surveys/gentofte-moedes.yaml",
        "kiosk validate surveys/*.yaml",
        "kiosk schema > survey.schema.json",
        "kiosk stats --data /media/usb/kiosk-data",
        "kiosk collector user list --db collector.db",
    } <= checked


# The docs' commands against one SQLite collector: the sandbox's kiosks remember what they
# synced, so a second collector would rightly report a mismatch. PostgreSQL's own examples run
# against the sandbox's database.url.
@pytest.mark.parametrize("shared_collector", ["sqlite"], indirect=True)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_documented_command_runs_as_written(
    command: str, sandbox: Path, shared_collector: CollectorProcess
) -> None:
    argv, redirect = as_run_here(command, sandbox, shared_collector.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_DATA"] = str(sandbox / "data")  # never the user's own data directory
    done = subprocess.run(
        argv, cwd=sandbox, env=env, capture_output=True, text=True, timeout=240,
        input=PASSWORD * 2,
    )  # fmt: skip
    shown = f"{command}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in shown
    assert done.returncode == 0, shown
    if redirect is not None:
        redirect.write_text(done.stdout, encoding="utf-8")
        assert done.stdout.strip(), f"{command} printed nothing"


def test_the_documented_shell_completion_completes_kiosk_commands(tmp_path: Path) -> None:
    """The README's completion line, as written, in a real bash: ``kiosk sy<TAB>`` offers
    sync and sync-after-event; the zsh and fish variants it names print a script too."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r'`(eval "\$\(_KIOSK_COMPLETE=bash_source kiosk\)")`', readme)
    assert found, "README no longer shows the bash completion line"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    script = (
        f"{found.group(1)}\n"
        "COMP_WORDS=(kiosk sy); COMP_CWORD=1; COMPREPLY=(); _kiosk_completion kiosk\n"
        'echo "${COMPREPLY[@]}"\n'
        'COMP_WORDS=(kiosk collector ""); COMP_CWORD=2; COMPREPLY=(); _kiosk_completion kiosk\n'
        'echo "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "-c", script], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    top, collector = done.stdout.splitlines()
    assert top.split() == ["sync", "sync-after-event"]
    assert {"serve", "export", "user"} <= set(collector.split())
    for shell in ("zsh_source", "fish_source"):
        assert f"`{shell}`" in readme
        made = subprocess.run(
            ["kiosk"], env={**env, "_KIOSK_COMPLETE": shell},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert made.returncode == 0 and "_kiosk_completion" in made.stdout, made.stderr
