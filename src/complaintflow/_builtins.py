"""The built-in plugins: the library's own behaviour, registered through the
same hooks as third-party plugins (the five categories of guide §1.1, the
default rule set and the screens of guide §2.3)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from complaintflow.categories import BUILTIN_CATEGORIES, Category
from complaintflow.hookspecs import hookimpl
from complaintflow.models import Complaint, Flag
from complaintflow.rules import RuleSet, screen


class BuiltinCategories:
    """Registers :data:`~complaintflow.BUILTIN_CATEGORIES`."""

    @hookimpl
    def complaintflow_register_categories(self, register: Callable[[Category], None]) -> None:
        for category in BUILTIN_CATEGORIES:
            register(category)


class BuiltinRules:
    """Contributes the default rule set and runs the built-in screens with
    the engine's (merged) rule set."""

    @hookimpl
    def complaintflow_rule_sets(self) -> Sequence[RuleSet]:
        return [RuleSet.default()]

    @hookimpl
    def complaintflow_screen(
        self, complaint: Complaint, store: Any, rules: RuleSet | None
    ) -> Sequence[Flag]:
        return screen(complaint, store, rules if rules is not None else RuleSet.default())


BUILTIN_PLUGINS: Final[tuple[tuple[str, type], ...]] = (
    ("complaintflow.categories", BuiltinCategories),
    ("complaintflow.rules", BuiltinRules),
)
"""Registered first, under these names (which ``COMPLAINTFLOW_DISABLE_PLUGINS``
may block)."""
