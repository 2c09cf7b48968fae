"""The ``complaintflow`` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.cli import main


@pytest.fixture
def no_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if ``rich`` were not installed: the plain-text path."""
    monkeypatch.setitem(sys.modules, "rich", None)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``complaintflow *argv``."""
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("no_rich")
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


# -- --version and --help --------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"complaintflow {cf.__version__}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "{demo,sla,diagram,rules,worker,calendar,explain,whatif,report,sla-report}"),
        (["demo"], "--count N"),
        (["sla"], "the category's required"),
        (["diagram"], "--format"),
        (["rules"], "check"),
        (["rules", "check"], "--pack"),
        (["worker"], "--max-attempts N"),
        (["calendar"], "{show,check,import}"),
        (["calendar", "check"], "--horizon DAYS"),
        (["sla-report"], "--table {targets,open,breaches}"),
    ],
)
def test_help_everywhere(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0
    assert out.startswith("usage: complaintflow")
    assert expected in " ".join(out.split())


# -- demo: rich, --count, progress ------------------------------------------------


def test_demo_with_rich_prints_tables_of_the_same_content(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("rich")
    code, out, _ = run(capsys, "demo", "--db", str(tmp_path / "d.sqlite3"))
    assert code == 0
    assert "┃ target" in out  # a rich table
    assert out.count("SLA (cycle") == 6
    for category in ("service", "goods", "after_sales", "transaction_dispute", "violation"):
        assert f"\n{category}: " in out
    for event in ("reject", "request_info", "provide_info", "reopen", "withdraw", "follow_up"):
        assert f" {event} " in out
    assert "closed -> verifying" in out
    assert "Customer 1" not in out
    assert "+86" not in out
    # --plain: the plain text even with rich installed
    code, out, _ = run(capsys, "demo", "--db", str(tmp_path / "d.sqlite3"), "--plain")
    assert code == 0
    assert "┃" not in out
    assert "follow_up                  7 working days" in out


@pytest.mark.parametrize("rich", [True, False])
def test_demo_count_runs_the_story_n_times_with_progress(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    rich: bool,
) -> None:
    if rich:
        pytest.importorskip("rich")
    else:
        monkeypatch.setitem(sys.modules, "rich", None)
    db = tmp_path / "load.sqlite3"
    code, out, err = run(capsys, "demo", "--db", str(db), "--count", "3", "--progress")
    assert code == 0
    # the first run's timelines, then the timing
    assert out.count("SLA (cycle") == 6
    assert "3 runs of the story: 18 complaints in " in out
    assert "18 complaints, their audit trails and notifications are in" in out
    if rich:
        assert "100%" in err  # rich.progress, on stderr
    else:
        assert "demo: 3/3 runs" in err
    store = cf.stores.SQLiteStore(db)
    assert len(store.find(limit=100)) == 18
    store.close()


def test_demo_progress_only_when_asked_or_on_a_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, no_rich: None
) -> None:
    # stdout is not a terminal here: no progress without --progress
    code, _, err = run(capsys, "demo", "--db", str(tmp_path / "d.sqlite3"), "--count", "2")
    assert code == 0
    assert err == ""
    # N = 1: never a progress bar
    code, _, err = run(capsys, "demo", "--db", str(tmp_path / "d.sqlite3"), "--progress")
    assert code == 0
    assert err == ""


@pytest.mark.parametrize(
    ("count", "message"),
    [("0", "must be at least 1, got 0"), ("-3", "must be at least 1"), ("x", "not a whole")],
)
def test_demo_bad_count(capsys: pytest.CaptureFixture[str], count: str, message: str) -> None:
    code, _, err = run(capsys, "demo", "--count", count)
    assert code == 2
    assert "argument --count" in err
    assert message in err


# -- rules check --------------------------------------------------------------------


def test_rules_check_ok_and_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import complaintflow.sla._policy as packs

    pack = Path(packs.__file__).parent / "packs" / "samr.toml"
    code, out, _ = run(capsys, "rules", "check", "--pack", str(pack))
    assert code == 0
    assert out.strip() == f"{pack}: ok"
    bad = tmp_path / "bad.toml"
    bad.write_text("this is not = = toml\n", encoding="utf-8")
    code, _, err = run(capsys, "rules", "check", str(bad))
    assert code == 1
    assert f"{bad}: 1 problem(s)" in err
    code, _, err = run(capsys, "rules", "check", str(tmp_path / "missing.toml"))
    assert code == 1
    assert "cannot read" in err
    code, _, err = run(capsys, "rules")
    assert code == 2
    assert "required: rules_command" in err or "invalid choice" in err or "required" in err


# -- sla ------------------------------------------------------------------------------

RECEIVED = "2026-03-09T10:00+08:00"  # a Monday
FLOW = [
    "--event",
    "acknowledge=2026-03-09T15:00+08:00",
    "--event",
    "classify=2026-03-10T09:00+08:00",
]


def sla_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "sla", "--json", *argv)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def targets(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in data["targets"]}


def test_sla_deadlines_of_the_guide_on_the_cn_calendar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = sla_json(
        capsys,
        "--received",
        RECEIVED,
        *FLOW,
        "--event",
        "decide=2026-03-11T08:00+08:00",
        "--event",
        "execute=2026-03-12T16:45+08:00",
        "--now",
        "2026-03-13T12:00+08:00",
    )
    t = targets(data)
    assert data["status"] == "executed"
    assert data["policy"] == "guide"
    assert data["timezone"] == "Asia/Shanghai"
    # §3.3.1: 24 hours from receipt (Mon 10:00) -> Tue 10:00; acknowledged at 15:00
    assert t["preliminary_verification"]["deadline"] == "2026-03-10T10:00:00+08:00"
    assert t["preliminary_verification"]["state"] == "met"
    # §3.3.2: 48 hours from receipt -> Wed 10:00; classified Tue 09:00
    assert t["verification"]["deadline"] == "2026-03-11T10:00:00+08:00"
    assert t["verification"]["state"] == "met"
    # §3.3.3: 24 hours from classify (Tue 09:00) -> Wed 09:00; decided Wed 08:00
    assert t["decision_notice"]["deadline"] == "2026-03-11T09:00:00+08:00"
    assert t["decision_notice"]["state"] == "met"
    # §3.3.4: 24 hours from the decision's effective time (its own time by
    # default, Wed 08:00) -> Thu 08:00; executed Thu 16:45: too late
    assert t["execution"]["started_at"] == "2026-03-11T08:00:00+08:00"
    assert t["execution"]["deadline"] == "2026-03-12T08:00:00+08:00"
    assert t["execution"]["state"] == "breached"
    # §3.3.5: 7 working days after Thu 12 March, the start day not counted:
    # Fri 13 (1), Mon 16 .. Fri 20 (2-6), Mon 23 (7); ends 24:00 on the 23rd
    assert t["follow_up"]["deadline"] == "2026-03-24T00:00:00+08:00"
    assert t["follow_up"]["state"] == "running"
    # as of Fri 13 12:00, half of the first counted day is gone: 6.5 days left
    assert t["follow_up"]["remaining_seconds"] == 6.5 * 86400
    # the category's required steps were recorded just before the decision
    steps = [e for e in data["events"] if e["type"] == "record_step"]
    assert sorted(e["step"] for e in steps) == ["contact_complainant", "investigate"]
    assert {e["at"] for e in steps} == {"2026-03-11T08:00:00+08:00"}


def test_sla_before_the_decision(capsys: pytest.CaptureFixture[str]) -> None:
    # the example of the brief: decision notice due 24 hours after classify
    data = sla_json(capsys, "--received", RECEIVED, *FLOW, "--now", "2026-03-10T12:00+08:00")
    t = targets(data)
    assert data["status"] == "classified"
    assert t["decision_notice"]["deadline"] == "2026-03-11T09:00:00+08:00"
    assert t["decision_notice"]["state"] == "running"
    assert t["decision_notice"]["remaining_seconds"] == 21 * 3600  # 12:00 -> 09:00 next day
    assert t["execution"]["state"] == "pending"
    assert t["execution"]["deadline"] is None
    assert data["now"] == "2026-03-10T12:00:00+08:00"


def test_sla_events_in_any_order_and_naive_times_in_the_calendar_zone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the same flow, given out of order and without offsets (CN: +08:00)
    data = sla_json(
        capsys,
        "--received",
        "2026-03-09T10:00",
        "--event",
        "classify=2026-03-10T09:00",
        "--event",
        "acknowledge=2026-03-09 15:00",
        "--now",
        "2026-03-10T12:00",
    )
    assert data["received"] == "2026-03-09T10:00:00+08:00"
    assert targets(data)["decision_notice"]["deadline"] == "2026-03-11T09:00:00+08:00"
    assert [e["type"] for e in data["events"]] == ["submit", "acknowledge", "classify"]


def test_sla_decision_effective_later(capsys: pytest.CaptureFixture[str]) -> None:
    # decided Wed 08:00, effective Wed 20:00: execution due 24 hours later,
    # Thu 20:00
    data = sla_json(
        capsys,
        "--received",
        RECEIVED,
        *FLOW,
        "--event",
        "decide=2026-03-11T08:00+08:00,effective=2026-03-11T20:00+08:00",
        "--now",
        "2026-03-11T21:00+08:00",
    )
    t = targets(data)
    assert t["execution"]["started_at"] == "2026-03-11T20:00:00+08:00"
    assert t["execution"]["deadline"] == "2026-03-12T20:00:00+08:00"
    assert t["execution"]["state"] == "running"


@pytest.mark.parametrize(
    ("calendar", "due"),
    [
        # CN: 1-7 October 2026 are holidays and Sat 10 October a makeup day:
        # Oct 8 (1), 9 (2), Sat 10 (3), 12 (4), 13 (5), 14 (6), 15 (7)
        ("CN", "2026-10-16T00:00:00+08:00"),
        # Mon-Fri in the same zone, no holidays: Oct 1 (1), 2 (2), 5 (3),
        # 6 (4), 7 (5), 8 (6), 9 (7)
        ("Asia/Shanghai", "2026-10-10T00:00:00+08:00"),
    ],
)
def test_sla_calendar_choice(capsys: pytest.CaptureFixture[str], calendar: str, due: str) -> None:
    data = sla_json(
        capsys,
        "--calendar",
        calendar,
        "--received",
        "2026-09-28T10:00+08:00",
        "--event",
        "acknowledge=2026-09-28T11:00+08:00",
        "--event",
        "classify=2026-09-28T12:00+08:00",
        "--event",
        "decide=2026-09-29T09:00+08:00",
        "--event",
        "execute=2026-09-30T09:00+08:00",
        "--now",
        "2026-09-30T10:00+08:00",
    )
    assert targets(data)["follow_up"]["deadline"] == due


def test_sla_hours_are_real_time_across_dst(capsys: pytest.CaptureFixture[str]) -> None:
    # Europe/London moves to BST at 01:00 on Sunday 29 March 2026: 24 hours
    # after Sat 10:00 GMT is Sun 11:00 BST
    data = sla_json(
        capsys,
        "--calendar",
        "Europe/London",
        "--received",
        "2026-03-28T10:00",
        "--now",
        "2026-03-28T10:00",
    )
    assert data["calendar"] == "Europe/London Mon-Fri"
    assert targets(data)["preliminary_verification"]["deadline"] == "2026-03-29T11:00:00+01:00"


def test_sla_information_request_pauses_the_clock(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--received",
        RECEIVED,
        *FLOW,
        "--event",
        "request_info=2026-03-10T12:00+08:00",
    ]
    # while waiting: paused, no deadline, 21 hours left of the decision notice
    data = sla_json(capsys, *argv, "--now", "2026-03-11T12:00+08:00")
    t = targets(data)
    assert data["status"] == "awaiting_info"
    assert t["decision_notice"]["state"] == "paused"
    assert t["decision_notice"]["deadline"] is None
    assert t["decision_notice"]["remaining_seconds"] == 21 * 3600
    # answered 24 hours later: the deadline moves from Wed 09:00 to Thu 09:00
    data = sla_json(
        capsys,
        *argv,
        "--event",
        "provide_info=2026-03-11T12:00+08:00",
        "--now",
        "2026-03-11T12:00+08:00",
    )
    assert data["status"] == "classified"
    assert targets(data)["decision_notice"]["deadline"] == "2026-03-12T09:00:00+08:00"


def test_sla_reopen_starts_a_new_cycle(capsys: pytest.CaptureFixture[str]) -> None:
    data = sla_json(
        capsys,
        "--received",
        RECEIVED,
        *FLOW,
        "--event",
        "decide=2026-03-10T10:00+08:00",
        "--event",
        "execute=2026-03-10T11:00+08:00",
        "--event",
        "follow_up=2026-03-11T10:00+08:00",
        "--event",
        "reopen=2026-03-12T10:00+08:00",
        "--now",
        "2026-03-12T11:00+08:00",
    )
    assert data["cycle"] == 2
    assert data["status"] == "verifying"
    # receipt-anchored targets restart at the reopen: 48 hours -> Sat 10:00
    assert targets(data)["verification"]["started_at"] == "2026-03-12T10:00:00+08:00"
    assert targets(data)["verification"]["deadline"] == "2026-03-14T10:00:00+08:00"


@pytest.mark.parametrize("kind", ["reject", "withdraw"])
def test_sla_ended_complaint_cancels_targets(capsys: pytest.CaptureFixture[str], kind: str) -> None:
    data = sla_json(
        capsys,
        "--received",
        RECEIVED,
        "--event",
        f"{kind}=2026-03-09T11:00+08:00",
        "--now",
        "2026-03-09T12:00+08:00",
    )
    assert data["status"] == ("rejected" if kind == "reject" else "withdrawn")
    assert {t["state"] for t in data["targets"]} == {"cancelled"}


def test_sla_policy_pack_and_its_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    # cfpb: calendar days in New York; received Mon 9 March 10:00 EDT:
    # response 15 days -> 24:00 on Tue 24 March; final 60 days -> 24:00 on 8 May
    data = sla_json(
        capsys, "--policy", "cfpb", "--received", "2026-03-09T10:00", "--now", "2026-03-09T10:00"
    )
    assert data["timezone"] == "America/New_York"
    assert data["calendar"] == "America/New_York Mon-Fri (the cfpb pack's)"
    t = targets(data)
    assert t["response"]["deadline"] == "2026-03-25T00:00:00-04:00"
    assert t["final_response"]["deadline"] == "2026-05-09T00:00:00-04:00"
    # samr on CN: accepted Mon 6 July; 45 working days end 24:00 on 7
    # September; sent for testing 13-20 July (5 working days) moves it to
    # 24:00 on Mon 14 September (docs/policy-packs.md)
    data = sla_json(
        capsys,
        "--policy",
        "samr",
        "--received",
        "2026-07-01T10:00",
        "--event",
        "acknowledge=2026-07-02T09:00",
        "--event",
        "classify=2026-07-06T10:00",
        "--event",
        "request_info=2026-07-13",
        "--event",
        "provide_info=2026-07-20",
        "--now",
        "2026-07-20T01:00",
    )
    assert data["calendar"] == "CN (the samr pack's)"
    assert targets(data)["mediation"]["deadline"] == "2026-09-15T00:00:00+08:00"


def test_sla_fca_pack_with_a_variant(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("holidays")
    # received Thu 2 April 2026; Good Friday and Easter Monday are bank
    # holidays: summary resolution by 17:00 on Thu 9 April; eight weeks end
    # 24:00 on 28 May (docs/policy-packs.md)
    data = sla_json(
        capsys, "--policy", "fca", "--received", "2026-04-02T10:00", "--now", "2026-04-02T10:00"
    )
    t = targets(data)
    assert t["summary_resolution"]["deadline"] == "2026-04-09T17:00:00+01:00"
    assert t["final_response"]["deadline"] == "2026-05-29T00:00:00+01:00"
    # payment services: 15 business days end on Mon 27 April (24:00)
    data = sla_json(
        capsys,
        "--policy",
        "fca",
        "--variant",
        "payment_services",
        "--received",
        "2026-04-02T10:00",
        "--now",
        "2026-04-02T10:00",
    )
    assert data["policy"] == "fca/payment_services"
    assert targets(data)["final_response"]["deadline"] == "2026-04-28T00:00:00+01:00"


def test_sla_now_defaults_to_the_last_event_when_later_than_the_clock(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = sla_json(
        capsys,
        "--calendar",
        "UTC",
        "--received",
        "2099-01-01T10:00",
        "--event",
        "acknowledge=2099-01-01T11:00",
    )
    assert data["now"] == "2099-01-01T11:00:00+00:00"
    assert targets(data)["verification"]["state"] == "running"


def test_sla_plain_table(capsys: pytest.CaptureFixture[str], no_rich: None) -> None:
    code, out, err = run(
        capsys, "sla", "--received", RECEIVED, *FLOW, "--now", "2026-03-10T12:00+08:00"
    )
    assert code == 0, err
    lines = out.splitlines()
    # one time format: the calendar's zone, with its offset (docs/concepts.md)
    assert lines[0] == (
        "complaint received 2026-03-09 10:00 +08:00, category goods: classified (cycle 1)"
    )
    assert lines[1] == (
        "policy guide, calendar CN (the guide pack's); as of 2026-03-10 12:00 +08:00; "
        "times in Asia/Shanghai"
    )
    assert lines[2].split() == ["target", "duration", "started", "deadline", "state", "remaining"]
    assert set(lines[3]) == {"-", " "}
    rows = {line.split()[0]: line for line in lines[4:]}
    assert rows["decision_notice"].split() == [
        "decision_notice",
        "24",
        "hours",
        "2026-03-10",
        "09:00",
        "+08:00",
        "2026-03-11",
        "09:00",
        "+08:00",
        "running",
        "21h",
        "00m",
    ]
    assert rows["verification"].split()[-4:] == ["met", "1d", "01h", "00m"]
    assert rows["follow_up"].split() == [
        "follow_up",
        "7",
        "working",
        "days",
        "-",
        "-",
        "pending",
        "-",
    ]


def test_sla_rich_table(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("rich")
    argv = ["sla", "--received", RECEIVED, *FLOW, "--now", "2026-03-10T12:00+08:00"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "┃ target" in out
    row = next(line for line in out.splitlines() if "decision_notice" in line)
    assert [c.strip() for c in row.strip("│ ").split("│")] == [
        "decision_notice",
        "24 hours",
        "2026-03-10 09:00 +08:00",
        "2026-03-11 09:00 +08:00",
        "running",
        "21h 00m",
    ]
    # --plain: the plain table although rich is installed
    code, out, _ = run(capsys, *argv, "--plain")
    assert code == 0
    assert "┃" not in out
    assert "decision_notice  " in out


def test_sla_marks_targets_at_risk(capsys: pytest.CaptureFixture[str], no_rich: None) -> None:
    # 13 of the 24 hours of the preliminary verification gone: past the 50 % warning
    code, out, _ = run(capsys, "sla", "--received", RECEIVED, "--now", "2026-03-09T23:00+08:00")
    assert code == 0
    assert "running (at risk)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: --received"),
        (["--received", "2026-3-9"], "argument --received: '2026-3-9' is not an ISO 8601 time"),
        (["--received", RECEIVED, "--now", "soon"], "argument --now: 'soon' is not an ISO 8601"),
        (["--received", RECEIVED, "--event", "classify"], "argument --event: expected TYPE=TIME"),
        (
            ["--received", RECEIVED, "--event", "escalate=2026-03-10T09:00+08:00"],
            "argument --event: unknown event 'escalate'; known: acknowledge, classify,",
        ),
        (
            ["--received", RECEIVED, "--event", "classify=yesterday"],
            "argument --event classify: 'yesterday' is not an ISO 8601 time",
        ),
        (
            [
                "--received",
                RECEIVED,
                *FLOW,
                "--event",
                "execute=2026-03-11T09:00+08:00",
            ],
            "argument --event: execute=2026-03-11T09:00+08:00: cannot execute a complaint "
            "that is classified; allowed then: decide, request_info, withdraw",
        ),
        (
            ["--received", RECEIVED, "--event", "acknowledge=2026-03-08T10:00+08:00"],
            "argument --event: acknowledge=2026-03-08T10:00+08:00: is before the complaint "
            "was received",
        ),
        (
            [
                "--received",
                RECEIVED,
                *FLOW,
                "--event",
                "decide=2026-03-11T08:00+08:00,effective=2026-03-11T07:00+08:00",
            ],
            "argument --event: decide=2026-03-11T08:00+08:00,effective=2026-03-11T07:00+08:00: "
            "the decision takes effect before it is made",
        ),
        (
            ["--received", RECEIVED, "--event", "acknowledge=2026-03-10,effective=2026-03-11"],
            "argument --event: 'acknowledge=2026-03-10,effective=2026-03-11': only decide takes",
        ),
        (
            ["--received", RECEIVED, *FLOW, "--now", "2026-03-10T08:00+08:00"],
            "argument --now: 2026-03-10T08:00+08:00 is before the last event",
        ),
        (
            ["--received", RECEIVED, "--calendar", "Mars/Olympus"],
            "argument --calendar: unknown calendar 'Mars/Olympus': use CN or an IANA time zone",
        ),
        (["--received", RECEIVED, "--policy", "gdpr"], "argument --policy: invalid choice: 'gdpr'"),
        (
            ["--received", RECEIVED, "--variant", "fast"],
            "argument --variant: pack 'guide' has no variant 'fast'; its variants: none",
        ),
        (["--received", RECEIVED, "--category", "food"], "argument --category: invalid choice"),
        (
            ["--received", RECEIVED, "--json", "--plain"],
            "argument --plain: not allowed with argument --json",
        ),
    ],
)
def test_sla_bad_arguments(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "sla", *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("usage: complaintflow sla")
    assert f"complaintflow sla: error: {message}" in " ".join(err.split())
    assert "Traceback" not in err


def test_sla_pack_calendar_needs_holidays(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "holidays", None)
    code, _, err = run(capsys, "sla", "--policy", "fca", "--received", "2026-04-02T10:00")
    assert code == 2
    assert "argument --policy: fca: its calendar:" in err
    assert "needs the 'holidays' package" in err
    # another calendar named: no need for it
    data = sla_json(
        capsys, "--policy", "fca", "--calendar", "Europe/London", "--received", "2026-04-02T10:00"
    )
    assert data["policy"] == "fca"


def test_sla_deadline_outside_the_calendar_data(
    capsys: pytest.CaptureFixture[str], no_rich: None
) -> None:
    # the bundled CN data ends on 31 December 2026: the follow-up's deadline
    # is provisional, counted on the weekly pattern into 2027, which the
    # table says: 12-31 (1), 01-01 (2), 01-04..01-08 (3..7) -> 24:00 of 01-08
    argv = [
        "sla",
        "--received",
        "2026-12-30T10:00",
        "--event",
        "acknowledge=2026-12-30T11:00",
        "--event",
        "classify=2026-12-30T12:00",
        "--event",
        "decide=2026-12-30T13:00",
        "--event",
        "execute=2026-12-30T14:00",
        "--now",
        "2026-12-30T15:00",
    ]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert "follow_up: provisional: counted on the weekly pattern" in out
    assert "2027-01-01 is outside the range this calendar's data covers" in out
    data = sla_json(capsys, *argv[1:])
    follow_up = targets(data)["follow_up"]
    assert follow_up["deadline"] == "2027-01-09T00:00:00+08:00"
    assert follow_up["problem"] is None


def test_a_closed_pipe_ends_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import complaintflow.cli as cli

    def broken(fmt: str = "mermaid") -> str:
        raise BrokenPipeError

    monkeypatch.setattr(cli, "diagram", broken)
    code, _, err = run(capsys, "diagram")
    assert code == 1
    assert err == ""
