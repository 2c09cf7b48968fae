"""Every ``python`` code block in README.md and docs/ runs, page by page,
so the docs cannot rot."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)


@pytest.mark.parametrize(
    "page", [p for p in PAGES if _blocks(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_page_examples_run(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for i, block in enumerate(_blocks(page)):
        code = compile(block, f"{page.relative_to(ROOT)} (block {i + 1})", "exec")
        exec(code, namespace)


def _modules() -> list[str]:
    src = ROOT / "src"
    names = []
    for path in sorted((src / "complaintflow").rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(p for p in parts if p != "__init__"))
    return names


@pytest.mark.parametrize("module", _modules())
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
