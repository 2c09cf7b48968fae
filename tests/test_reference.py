"""The API reference renders every public name of every namespace."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NAMESPACES = (
    "complaintflow",
    "complaintflow.sla",
    "complaintflow.stores",
    "complaintflow.rules",
    "complaintflow.testing",
    "complaintflow.testing.strategies",
    "complaintflow.aio",
    "complaintflow.schema",
)


@pytest.fixture(scope="module")
def api_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mkdocs is not installed: pip install -e '.[docs]'")
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--quiet", "-d", str(site)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return (site / "reference" / "api" / "index.html").read_text("utf-8")


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_name_is_in_the_reference(api_page: str, namespace: str) -> None:
    anchors = set(re.findall(r'id="([^"]+)"', api_page))
    module = importlib.import_module(namespace)
    public = [n for n in module.__all__ if not n.startswith("__")]
    missing = [n for n in public if f"{namespace}.{n}" not in anchors]
    assert missing == [], f"not in docs/reference/api.md's page: {missing}"


def test_the_namespaces_are_attributes_of_the_package() -> None:
    import complaintflow as cf

    assert cf.sla.SlaPolicy is cf.SlaPolicy
    assert cf.stores.SQLiteStore.__name__ == "SQLiteStore"
    assert cf.rules.RuleSet is cf.RuleSet
    assert cf.testing.FakeClock.__name__ == "FakeClock"
