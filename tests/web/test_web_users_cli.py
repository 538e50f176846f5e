"""``kiosk collector user add|list|remove``: passwords asked twice, never echoed, really hashed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.collector.accounts import check_sign_in
from kiosk.collector.storage import CollectorStorage

SECRET = "correct horse battery"


def _run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["collector", "user", *args], input=input)


def test_add_list_remove(tmp_path: Path) -> None:
    db = tmp_path / "collector.db"
    added = _run("add", "anna", "--role", "viewer", "--db", str(db), input=f"{SECRET}\n{SECRET}\n")
    assert added.exit_code == 0, added.output
    assert SECRET not in added.output  # hidden input: the prompt never echoes it
    assert "added viewer anna" in added.output
    stored = sqlite3.connect(db).execute("SELECT password_hash FROM web_accounts").fetchone()[0]
    assert stored.startswith("$argon2id$") and SECRET not in stored
    storage = CollectorStorage(db)
    assert check_sign_in(storage, "anna", SECRET).account is not None
    storage.close()
    listed = _run("list", "--db", str(db))
    assert listed.exit_code == 0 and "anna\tviewer" in listed.output
    again = _run("add", "anna", "--db", str(db), input=f"{SECRET}\n{SECRET}\n")
    assert again.exit_code != 0 and "exists already" in again.output
    removed = _run("remove", "anna", "--db", str(db))
    assert removed.exit_code == 0 and "removed anna" in removed.output
    gone = _run("remove", "anna", "--db", str(db))
    assert gone.exit_code != 0 and "no account named 'anna'" in gone.output


def test_passwords_must_match_and_be_long_enough(tmp_path: Path) -> None:
    db = tmp_path / "collector.db"
    differ = _run("add", "bo", "--db", str(db), input=f"{SECRET}\nother one!!\n" * 3)
    assert differ.exit_code != 0 and "do not match" in differ.output.lower()
    short = _run("add", "bo", "--db", str(db), input="short\nshort\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    bad_name = _run("add", "bo bo", "--db", str(db), input=f"{SECRET}\n{SECRET}\n")
    assert bad_name.exit_code != 0 and "no spaces" in bad_name.output
    assert "bo" not in _run("list", "--db", str(db)).output.split("\t")[0]


def test_list_of_a_missing_database_says_so(tmp_path: Path) -> None:
    reply = _run("list", "--db", str(tmp_path / "nope.db"))
    assert reply.exit_code != 0 and "no such collector database" in reply.output
    assert not (tmp_path / "nope.db").exists()


def _serve(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    token = tmp_path / "token"
    token.write_text("test-token-5c1e0f\n")
    return CliRunner().invoke(
        cli,
        ["collector", "serve", "--db", str(tmp_path / "c.db"), "--token-file", str(token), *args],
    )


def test_serve_refuses_a_broken_status_file_or_public_url_before_serving(tmp_path: Path) -> None:
    broken = tmp_path / "statuses.toml"
    broken.write_text('[[status]]\nda = "Ny"\n', encoding="utf-8")
    reply = _serve(tmp_path, "--idea-statuses", str(broken))
    assert reply.exit_code != 0
    assert f"{broken}: status 1 needs an id" in reply.output
    reply = _serve(tmp_path, "--public-url", "kiosk.example.dk")
    assert reply.exit_code != 0 and "is not a web address" in reply.output
