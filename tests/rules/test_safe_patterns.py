"""No rule file can make a submit slow: patterns that backtrack
catastrophically are refused at load (naming the file, the table and the
key), accepted ones run on re2 when it is installed, and numbers and
nesting that would only overflow later are refused at load too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.cli import main
from complaintflow.rules import RuleFileError, _patterns, check_pack_file

CATASTROPHIC = ["(a+)+$", "(a|a)*", "(a|ab)*c", "(.*)*", "(a*b*)*x", "(?:\\w+\\s?)+$", "(x+x+)+y"]


def rule_file(pattern: str) -> str:
    return f'[[rules]]\nid = "r"\ncategory = "goods"\npattern = {pattern!r}\n'.replace("'", '"')


def refusal(tmp_path: Path, text: str) -> RuleFileError:
    path = tmp_path / "evil.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        cf.RuleSet.load(path)
    return info.value


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused_naming_file_table_and_key(
    tmp_path: Path, pattern: str
) -> None:
    toml = f'[[rules]]\nid = "r"\ncategory = "goods"\npattern = \'{pattern}\'\n'
    err = refusal(tmp_path, toml)
    (p,) = err.problems
    assert (p.file, p.table, p.key) == (str(tmp_path / "evil.toml"), "rules[0]", "pattern")
    assert "unsafe regular expression" in p.reason


@pytest.mark.parametrize("pattern", ["(a)\\1", "(?=a)b", "(?<!x)y"])
def test_constructs_without_a_linear_time_match_are_refused(tmp_path: Path, pattern: str) -> None:
    toml = f'[[rules]]\nid = "r"\ncategory = "goods"\npattern = \'{pattern}\'\n'
    (p,) = refusal(tmp_path, toml).problems
    assert p.key == "pattern"
    assert "not allowed" in p.reason


@pytest.mark.parametrize(
    "pattern", ["order (no\\.|number) ?\\d{6,}", "(ab|cd)*x", "refund\\s+\\d+", "a{2}b*"]
)
def test_ordinary_patterns_still_load_and_match(pattern: str) -> None:
    toml = f'[[rules]]\nid = "r"\ncategory = "goods"\npattern = \'{pattern}\'\n'
    rs = cf.RuleSet.loads(toml)
    (rule,) = rs.rules
    assert rule.pattern is not None
    assert rule.pattern.pattern == pattern


def test_the_cli_check_reports_an_unsafe_pattern(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.toml"
    path.write_text('[[rules]]\nid = "r"\ncategory = "goods"\npattern = \'(a+)+$\'\n', "utf-8")
    assert main(["rules", "check", str(path)]) != 0
    assert "[rules[0]] pattern: unsafe regular expression" in capsys.readouterr().err


def test_patterns_run_on_re2_when_it_is_installed() -> None:
    re2 = pytest.importorskip("re2")
    (rule,) = cf.RuleSet.loads(rule_file("kettle \\d+")).rules
    assert _patterns.ENGINE == "re2"
    assert rule.pattern is not None
    assert type(rule.pattern).__module__.startswith(re2.__name__)


def test_a_pattern_searches_a_bounded_prefix_of_the_text() -> None:
    # the marker only after the window: the rule does not fire; inside it does
    rs = cf.RuleSet.loads(
        '[[rules]]\nid = "r"\ncategory = "goods"\nweight = 9\npattern = "zqxmarker"\n'
    )
    engine = cf.Engine(load_entry_points=False, plugins=[rs])
    pad = "x " * (_patterns.MAX_PATTERN_TEXT // 2)

    def fired(description: str) -> bool:
        new = cf.NewComplaint(
            channel="web", complainant=cf.Party(id="u-1"), subject="s", description=description
        )
        c = engine.submit(new, actor=cf.Actor(id="u-1", roles={"complainant"}))
        assert c.classification is not None
        return "r" in c.classification.rules

    assert fired("zqxmarker " + pad)
    assert not fired(pad + " zqxmarker")


# -- a property: a generated pattern that nests quantifiers is always refused --

ATOMS = st.sampled_from(["a", "b", ".", "\\w", "[ab]", "x"])
QUANT = st.sampled_from(["", "*", "+", "?", "{2,}", "{1,3}"])


@st.composite
def patterns(draw: st.DrawFn, depth: int = 0) -> tuple[str, bool]:
    """A pattern and whether it has a repeating quantifier inside a repeated
    group (the oracle, computed from how it was built)."""
    if depth >= 2 or draw(st.booleans()):
        q = draw(QUANT)
        return draw(ATOMS) + q, False
    parts = [draw(patterns(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
    body = "".join(p for p, _ in parts)
    inner_repeats = any(
        re.search(r"(\*|\+|\{2,\}|\{1,3\})$", p) or "(" in p for p, _ in parts
    ) and any(ch in body for ch in "*+{")
    q = draw(QUANT)
    nested = any(n for _, n in parts) or (q not in ("", "?") and inner_repeats)
    return f"(?:{body}){q}", nested


@given(patterns())
def test_generated_nested_quantifiers_are_refused(case: tuple[str, bool]) -> None:
    pattern, nested = case
    reason = _patterns.unsafe_reason(pattern)
    if nested:
        assert reason is not None, pattern
    else:  # accepted, or refused only for overlapping repeats in a row
        assert reason is None or "in a row" in reason, (pattern, reason)


@pytest.mark.parametrize("pattern", [".*.*x", "a*a*a*a*b", "x.*y.*z", "\\w+\\d+"])
def test_overlapping_repeats_in_a_row_are_refused(pattern: str) -> None:
    # on a backtracking engine these take polynomial time of degree 3 and up
    reason = _patterns.unsafe_reason(pattern)
    assert reason is not None
    assert "in a row" in reason


@pytest.mark.parametrize("pattern", ["\\d+-\\d+", "\\s*\\d+\\s*x", "x[^y]*y", "a+b+a+"])
def test_repeats_separated_by_what_only_one_takes_are_accepted(pattern: str) -> None:
    assert _patterns.unsafe_reason(pattern) is None


# -- numbers and nesting that would overflow later ---------------------------


@pytest.mark.parametrize("value", ["1e300", "1e7", "10000000"])
def test_huge_window_hours_is_refused_at_load(value: str) -> None:
    with pytest.raises(RuleFileError) as info:
        cf.RuleSet.loads(f"[screening.malicious]\nwindow_hours = {value}\n")
    (p,) = info.value.problems
    assert (p.table, p.key) == ("screening.malicious", "window_hours")


def test_the_largest_window_allowed_submits_without_overflow() -> None:
    rs = cf.RuleSet.loads("[screening.malicious]\nwindow_hours = 1e6\n")
    engine = cf.Engine(load_entry_points=False, plugins=[rs])
    new = cf.NewComplaint(
        channel="web",
        category="goods",
        complainant=cf.Party(id="u-1"),
        subject="kettle",
    )
    c = engine.submit(new, actor=cf.Actor(id="u-1", roles={"complainant"}))
    assert c.status == cf.Status.received
    assert engine.rules.malicious.window_hours == 1e6


@pytest.mark.parametrize("depth", [17, 100, 5000])
def test_deeply_nested_toml_is_a_rule_file_error(depth: int, tmp_path: Path) -> None:
    text = "a = " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(RuleFileError):
        cf.RuleSet.loads(text)
    path = tmp_path / "deep.toml"
    path.write_text(text, "utf-8")
    assert main(["rules", "check", str(path)]) != 0
    assert main(["rules", "check", "--pack", str(path)]) != 0
    assert check_pack_file(path)[0].startswith(f"{path}: (top level): ")
