"""The commands that read a database (the reports, ``rules export``) never
write over it (docs/reports.md): an output naming the store file, its WAL,
shared memory or journal file, or a link to it is refused, and the store
is unchanged."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import complaintflow as cf
from complaintflow.cli import main

WINDOW = ["--since", "2026-01-01T00:00+08:00", "--until", "2027-01-01T00:00+08:00"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cf.sqlite3"
    engine = cf.Engine(store=cf.stores.SQLiteStore(path), load_entry_points=False)
    engine.submit(
        {"channel": "web", "complainant": {"id": "u-1"}, "subject": "Late"},
        actor=cf.Actor(id="u-1", roles={"complainant"}),
    )
    engine.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("sla-report", "--out"),
        ("report", "--output"),
        ("report", "--chart"),
        ("rules export", "--output"),
    ],
)
@pytest.mark.parametrize("target", ["same", "relative", "wal", "symlink", "hardlink"])
def test_an_output_onto_the_database_is_refused(
    db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    option: str,
    target: str,
) -> None:
    out = {
        "same": str(db),
        "relative": "./cf.sqlite3",
        "wal": f"{db}-wal",
        "symlink": str(tmp_path / "link.sqlite3"),
        "hardlink": str(tmp_path / "hard.sqlite3"),
    }[target]
    if target == "symlink":
        os.symlink(db, out)
    if target == "hardlink":
        os.link(db, out)
    monkeypatch.chdir(tmp_path)
    before = _digest(db)
    window = [] if command.startswith("rules") else WINDOW
    assert main([*command.split(), "--db", str(db), *window, option, out]) == 1
    assert f"{option}: is the database" in capsys.readouterr().err
    assert _digest(db) == before
    assert not (tmp_path / "cf.sqlite3-wal").exists()


def test_an_output_elsewhere_is_written(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "cf.sqlite3.json"  # a name that starts like the database's
    assert main(["sla-report", "--db", str(db), *WINDOW, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("{")
