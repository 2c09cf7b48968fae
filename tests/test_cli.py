"""The ``complaintflow`` command."""

from __future__ import annotations

from pathlib import Path

import pytest

import complaintflow as cf
from complaintflow.cli import main


def test_demo_runs_every_category_through_its_story(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    for category in ("service", "goods", "after_sales", "transaction_dispute", "violation"):
        assert f"\n{category}: " in out
    # the stories the demo promises: a rejected duplicate, an information
    # request and a reopen; and an SLA table per complaint
    for event in ("reject", "request_info", "provide_info", "reopen", "withdraw", "follow_up"):
        assert f" {event} " in out
    assert out.count("SLA (cycle") == 6
    assert "follow_up                  7 working days" in out
    # personal data never printed
    assert "+86" not in out
    assert "Customer 1" not in out
    # the demo's complaints are in the SQLite file it names, and a second
    # run replaces them
    store = cf.stores.SQLiteStore(db)
    first = store.find(limit=100)
    assert len(first) == 6
    assert {c.category for c in first} == {
        "service",
        "goods",
        "after_sales",
        "transaction_dispute",
        "violation",
    }
    store.close()
    assert main(["demo", "--db", str(db)]) == 0
    store = cf.stores.SQLiteStore(db)
    second = store.find(limit=100)
    assert len(second) == 6
    assert not {c.id for c in first} & {c.id for c in second}
    store.close()


def test_demo_refuses_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--db", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_diagram_lists_every_transition(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["diagram", "--format", fmt]) == 0
    out = capsys.readouterr().out
    arrow = "-->" if fmt == "mermaid" else "->"
    # from DESIGN.md's table
    for src, cmd, dst in [
        ("received", "acknowledge", "verifying"),
        ("verifying", "classify", "classified"),
        ("classified", "decide", "decided"),
        ("decided", "execute", "executed"),
        ("executed", "follow_up", "closed"),
        ("received", "reject", "rejected"),
        ("verifying", "reject", "rejected"),
        ("closed", "reopen", "verifying"),
        ("awaiting_info", "provide_info", "decided"),
        ("executed", "request_info", "awaiting_info"),
        ("awaiting_info", "withdraw", "withdrawn"),
    ]:
        assert any(
            src in line and f"{arrow} {dst}" in line and cmd in line for line in out.splitlines()
        ), (src, cmd, dst)


def test_bad_arguments_exit_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["diagram", "--format", "png"])
    assert e.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2


def test_docs_diagram_is_the_generated_one() -> None:
    from complaintflow.cli import diagram

    page = (Path(__file__).resolve().parent.parent / "docs" / "concepts.md").read_text("utf-8")
    assert f"```mermaid\n{diagram('mermaid')}\n```" in page
