"""Every hook is documented: a full docstring in the spec, and a section of
the generated reference (``docs/reference/hooks.md``) that is up to date."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import FunctionType, ModuleType

import pytest

from complaintflow import hookspecs

ROOT = Path(__file__).resolve().parent.parent
SPECS = {
    name: func
    for name, func in vars(hookspecs).items()
    if isinstance(func, FunctionType) and hasattr(func, "complaintflow_spec")
}


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_hook_docs", ROOT / "scripts/gen_hook_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_hook_of_the_issue_has_a_spec() -> None:
    assert {
        "complaintflow_register_categories",
        "complaintflow_store",
        "complaintflow_notify",
        "complaintflow_classify",
        "complaintflow_screen",
        "complaintflow_authorize",
        "complaintflow_sla_policy",
        "complaintflow_sla_alert",
        "complaintflow_event",
    } <= set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_spec_docstring_is_complete(name: str) -> None:
    func = SPECS[name]
    doc = inspect.getdoc(func) or ""
    assert doc, f"{name} has no docstring"
    for param in inspect.signature(func).parameters:
        assert f":param {param}:" in doc, f"{name}: parameter {param!r} is not documented"
    assert "Since " in doc, f"{name}: say since which version it exists"
    if getattr(func, "complaintflow_spec")["firstresult"]:  # noqa: B009 (pluggy sets it)
        assert "First result wins" in doc, f"{name}: say that the first result wins"
        assert ":return:" in doc, f"{name}: say what a return value means"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_reference_documents_the_hook(name: str) -> None:
    page = (ROOT / "docs" / "reference" / "hooks.md").read_text(encoding="utf-8")
    assert f"### `{name}`" in page, f"{name} is missing: run python scripts/gen_hook_docs.py"


def test_the_reference_is_up_to_date() -> None:
    page = (ROOT / "docs" / "reference" / "hooks.md").read_text(encoding="utf-8")
    assert page == _generator().render(), "stale: run python scripts/gen_hook_docs.py"


def test_the_plugin_guide_names_every_hook() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    missing = [name for name in SPECS if name not in guide]
    assert not missing, f"docs/plugins.md does not mention {missing}"
