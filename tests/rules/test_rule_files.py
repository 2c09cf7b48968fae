"""Rule files are data: every kind of mistake is reported naming the file,
the table and the key; nothing in a file is ever run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import complaintflow as cf
from complaintflow.cli import main
from complaintflow.rules import RuleFileError

T0 = datetime(2026, 3, 9, 9, tzinfo=UTC)
DATA = Path(cf.__file__).parent / "rules" / "data"


def problems(tmp_path: Path, text: str) -> list[tuple[str, str, str, str]]:
    path = tmp_path / "shop.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        cf.RuleSet.load(path)
    err = info.value
    assert isinstance(err, cf.InvalidInput)  # one hierarchy
    assert all(p.file == str(path) for p in err.problems)
    assert str(err).startswith(f"{path}: ")
    return [(p.table, p.key, p.reason, str(p)) for p in err.problems]


def test_the_shipped_files_are_valid() -> None:
    for name in ("classification_en.toml", "classification_zh.toml", "screening.toml"):
        assert cf.RuleSet.load(DATA / name) is not None


def test_wrong_type(tmp_path: Path) -> None:
    (p,) = problems(
        tmp_path,
        '[[rules]]\nid = "a"\ncategory = "goods"\nweight = "heavy"\nany = ["x"]\n',
    )
    assert p[:3] == ("rules[0]", "weight", "must be a number, not a string")
    assert p[3] == f"{tmp_path / 'shop.toml'}: [rules[0]] weight: must be a number, not a string"
    (p,) = problems(tmp_path, '[[rules]]\nid = "a"\ncategory = "goods"\nany = "x"\n')
    assert p[:3] == ("rules[0]", "any", "must be a list of strings, not a string")
    (p,) = problems(tmp_path, "[screening.malicious]\nlimit = 2.5\n")
    assert p[:3] == ("screening.malicious", "limit", "must be an integer, not a number")
    (p,) = problems(tmp_path, "[ruleset]\nthreshold = 0\n")
    assert p[:2] == ("ruleset", "threshold")
    assert "must be > 0" in p[2]


def test_unknown_key(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[ruleset]\nname = "x"\ntreshold = 2\n\n'
        '[[rules]]\nid = "a"\ncategory = "goods"\nany = ["x"]\nweigth = 2\n\n'
        "[screening.duplicate]\nsimilarty = 0.8\n",
    )
    assert [(t, k) for t, k, _, _ in found] == [
        ("ruleset", "treshold"),
        ("rules[0]", "weigth"),
        ("screening.duplicate", "similarty"),
    ]
    assert all(r.startswith("unknown key; allowed: ") for _, _, r, _ in found)


def test_unknown_category(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[[rules]]\nid = "a"\ncategory = "shipping"\nany = ["x"]\n\n'
        '[screening.incomplete.required]\nrefunds = ["order_id"]\n',
    )
    assert [(t, k) for t, k, _, _ in found] == [
        ("rules[0]", "category"),
        ("screening.incomplete.required", "refunds"),
    ]
    assert found[0][2].startswith("unknown category 'shipping'; known: after_sales, goods")


def test_malformed_pattern(tmp_path: Path) -> None:
    (p,) = problems(tmp_path, '[[rules]]\nid = "a"\ncategory = "goods"\npattern = "broken(["\n')
    assert p[:2] == ("rules[0]", "pattern")
    assert p[2].startswith("malformed regular expression: ")
    (p,) = problems(tmp_path, f'[[rules]]\nid = "a"\ncategory = "goods"\npattern = "{"a" * 301}"\n')
    assert (p[1], p[2]) == ("pattern", "longer than 300 characters")


def test_empty_table_and_empty_file(tmp_path: Path) -> None:
    (p,) = problems(tmp_path, "[ruleset]\n")
    assert p[:3] == ("ruleset", "", "empty table")
    (p,) = problems(tmp_path, '[[rules]]\nid = "a"\ncategory = "goods"\n')
    assert p[:2] == ("rules[0]", "")
    assert p[2].startswith("no condition: give at least one of any, all, pattern")
    found = problems(tmp_path, '[[rules]]\nid = "a"\ncategory = "goods"\nany = ["x"]\n[[rules]]\n')
    assert found[0][:3] == ("rules[1]", "", "empty table")
    (p,) = problems(tmp_path, '[[rules]]\nid = "a"\ncategory = "goods"\nany = []\n')
    assert p[:3] == ("rules[0]", "any", "empty list")
    (p,) = problems(tmp_path, "")
    assert p[:2] == ("", "")
    assert "empty rule file" in p[2]


def test_missing_and_duplicate_ids_and_bad_toml(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[[rules]]\ncategory = "goods"\nany = ["x"]\n\n'
        '[[rules]]\nid = "b"\ncategory = "goods"\nany = ["x"]\n\n'
        '[[rules]]\nid = "b"\ncategory = "goods"\nany = ["y"]\n',
    )
    assert [(t, k, r) for t, k, r, _ in found] == [
        ("rules[0]", "id", "missing"),
        ("rules[2]", "id", "duplicate id 'b' (also rules[1])"),
    ]
    (p,) = problems(tmp_path, "[[rules]\nid = 1\n")
    assert p[2].startswith("not valid TOML: ")


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[[rules]]\nid = "a"\ncategory = "nope"\nweight = -1\npattern = "("\nchannel = [1]\n',
    )
    assert [k for _, k, _, _ in found] == ["category", "weight", "pattern", "channel[0]"]


def test_nothing_in_a_rule_file_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # strings that would do something if evaluated are only text to match
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    path = tmp_path / "evil.toml"
    path.write_text(
        f'[[rules]]\nid = "evil"\ncategory = "goods"\nany = [{code!r}]\npattern = "__import__"\n',
        encoding="utf-8",
    )
    rules = cf.RuleSet.load(path)
    complaint = cf.Complaint(
        id="c",
        channel="web",
        category=None,
        complainant=cf.Party(id="u"),
        respondent=None,
        subject=code,
        description="",
        evidence=(),
        order_id=None,
        received_at=T0,
        status=cf.Status.received,
        version=1,
        updated_at=T0,
    )
    result = rules.classify(complaint)
    assert not marker.exists()
    assert result.rules == ("evil",)  # matched as plain text
    # keywords are escaped: regex syntax in a keyword is literal
    lit = cf.RuleSet.loads('[[rules]]\nid = "x"\ncategory = "goods"\nweight = 2\nany = ["c.t"]\n')
    assert lit.classify(complaint.model_copy(update={"subject": "cat"})).category is None
    assert lit.classify(complaint.model_copy(update={"subject": "c.t"})).category == "goods"


def test_cli_rules_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = DATA / "classification_en.toml"
    assert main(["rules", "check", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok\n"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nid = "a"\ncategory = "security"\npattern = "(("\n', "utf-8")
    assert main(["rules", "check", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{bad}: [rules[0]] category: unknown category 'security'")
    assert err[1].startswith(f"{bad}: [rules[0]] pattern: malformed regular expression")
    assert err[-1] == f"{bad}: 2 problem(s)"
    # a plugin's category may be named
    bad.write_text('[[rules]]\nid = "a"\ncategory = "security"\nany = ["x"]\n', "utf-8")
    assert main(["rules", "check", str(bad), "--category", "security"]) == 0
    capsys.readouterr()
    assert main(["rules", "check", str(tmp_path / "missing.toml")]) == 1
    assert "cannot read the file" in capsys.readouterr().err


def test_cli_rules_check_packs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    packs = Path(cf.__file__).parent / "sla" / "packs"
    for name in ("guide", "samr", "fca", "cfpb"):
        assert main(["rules", "check", "--pack", str(packs / f"{name}.toml")]) == 0
    capsys.readouterr()
    bad = tmp_path / "pack.toml"
    bad.write_text(
        '[pack]\nname = "x"\ntitle = "t"\nsource = "s"\n\n[calendar]\ntz = "UTC"\n\n'
        '[[targets]]\nname = "a"\ncites = "c"\nstart = "receipt"\nstop = "decide"\n'
        "duration = { weeks = 8 }\n",
        "utf-8",
    )
    assert main(["rules", "check", "--pack", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: [targets[0]] duration.weeks: unknown duration kind" in err
    with pytest.raises(SystemExit):
        main(["rules"])
