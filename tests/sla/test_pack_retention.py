"""A policy pack's ``[retention]`` table is checked when the pack is read
(``check_pack_file``, ``complaintflow rules check --pack``), each problem
naming the file, the table and the key (docs/privacy.md, "Retention")."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from complaintflow.cli import main
from complaintflow.rules import check_pack_file
from complaintflow.sla._policy import PACKS

GUIDE = resources.files("complaintflow.sla").joinpath("packs", "guide.toml").read_text("utf-8")
SHIPPED = '[retention]\nclosed_years = 3\ncites = "guide'


def with_retention(tmp_path: Path, table: str) -> Path:
    head, _, _ = GUIDE.partition("[retention]")
    path = tmp_path / "pack.toml"
    path.write_text(head + table, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", PACKS)
def test_the_shipped_packs_pass(name: str) -> None:
    path = resources.files("complaintflow.sla").joinpath("packs", f"{name}.toml")
    assert check_pack_file(str(path)) == []


def test_the_guide_pack_has_a_retention_to_replace() -> None:
    assert SHIPPED in GUIDE  # the tests below replace this table


@pytest.mark.parametrize(
    ("table", "key", "reason"),
    [
        ("closed_years = 0", "closed_years", "must be >= 1"),
        ("closed_years = 101", "closed_years", "must be <= 100"),
        ('closed_years = "3"', "closed_years", "must be an integer, not a string"),
        ("closed_years = 2.5", "closed_years", "must be an integer"),
        ("closed_years = true", "closed_years", "must be an integer"),
        ('cites = "DISP 1.9.1R"', "closed_years", "missing"),
        ("closed_years = 3\nkeep = 1", "keep", "unknown key; allowed: cites, closed_years"),
        ("closed_years = 3\ncites = 7", "cites", "must be a string"),
    ],
)
def test_a_bad_retention_names_file_table_and_key(
    tmp_path: Path, table: str, key: str, reason: str
) -> None:
    path = with_retention(tmp_path, f"[retention]\n{table}\n")
    (problem,) = check_pack_file(path)
    assert problem.startswith(f"{path}: [retention] {key}: {reason}")
    assert main(["rules", "check", "--pack", str(path)]) != 0


def test_retention_must_be_a_table(tmp_path: Path) -> None:
    path = with_retention(tmp_path, "")
    path.write_text("retention = 3\n" + path.read_text("utf-8"), encoding="utf-8")
    assert check_pack_file(path) == [f"{path}: [retention]: must be a table, not an integer"]


def test_a_good_retention_passes(tmp_path: Path) -> None:
    path = with_retention(tmp_path, '[retention]\nclosed_years = 7\ncites = "local rule"\n')
    assert check_pack_file(path) == []
