"""The docs' three-line use of the store contract runs as a plugin author
would run it: as a test module of its own, under pytest."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_subclass_runs_the_whole_contract(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "storage.md").read_text(encoding="utf-8")
    (block,) = [
        b for b in re.findall(r"^```python\n(.*?)^```", page, re.M | re.S) if "StoreContract" in b
    ]
    (tmp_path / "test_my_store.py").write_text(block, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    # every check of the contract ran, none was skipped
    from complaintflow.testing import StoreContract

    tests = [n for n in dir(StoreContract) if n.startswith("test_")]
    ran = int(re.search(r"(\d+) passed", done.stdout).group(1))  # type: ignore[union-attr]
    assert ran >= len(tests) > 20
    assert "skipped" not in done.stdout
