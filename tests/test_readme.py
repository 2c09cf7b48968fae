"""The README's examples run, and its two set-up commands are the ones CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = [b.strip() for b in _blocks("bash")]
    assert len(commands) == 2
    install_demo, run_tests = commands
    assert "complaintflow demo" in install_demo
    assert "pytest" in run_tests


def test_ci_runs_the_readme_test_command() -> None:
    run_tests = _blocks("bash")[1].strip()
    # CI installs first (the part before &&), then runs the same test command
    test_part = run_tests.split("&&", 1)[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_part in ci
