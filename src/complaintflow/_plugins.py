"""The plugin-manager factory (no global manager, one per engine) and the
engine's bootstrap: built-in plugins, categories, merged rule sets."""

from __future__ import annotations

import difflib
import os
import re
import types
from collections.abc import Iterable
from typing import Final

import pluggy

from complaintflow import hookspecs
from complaintflow._builtins import BUILTIN_PLUGINS
from complaintflow.categories import CategoryRegistry
from complaintflow.errors import PluginError
from complaintflow.rules import RuleSet

DISABLE_ENV: Final = "COMPLAINTFLOW_DISABLE_PLUGINS"
"""Comma-separated plugin names (entry-point names) to block."""

_HOOKS: Final = tuple(n for n in vars(hookspecs) if n.startswith(f"{hookspecs.PROJECT_NAME}_"))


def make_plugin_manager(
    plugins: Iterable[object] = (),
    *,
    load_entry_points: bool = True,
    builtins: Iterable[tuple[str, object]] = (),
) -> pluggy.PluginManager:
    """Build a plugin manager: built-ins, entry points, then ``plugins``.

    Later registrations override earlier ones: pluggy calls the plugin
    registered last first, so a hook is called for ``plugins`` from the last
    in the list to the first, then for entry-point plugins, then for the
    built-ins, and the last plugin in the list gets the first say in a
    first-result hook (``tryfirst``/``trylast`` on an implementation still
    come first/last).
    Names in ``COMPLAINTFLOW_DISABLE_PLUGINS`` are blocked (built-ins too).
    An implementation of an unknown hook fails loudly, naming the plugin."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for name in os.environ.get(DISABLE_ENV, "").split(","):
        if name.strip():
            pm.set_blocked(name.strip())
    try:
        for name, plugin in builtins:
            if not pm.is_blocked(name):
                pm.register(plugin, name=name)
        if load_entry_points:
            pm.load_setuptools_entrypoints(hookspecs.PROJECT_NAME)
        for plugin in plugins:
            pm.register(plugin)
        pm.check_pending()
    except pluggy.PluginValidationError as e:
        raise PluginError(f"plugin {_label(pm, e.plugin)}: {e}{_hint(str(e))}") from e
    except ValueError as e:  # registered twice
        raise PluginError(str(e)) from e
    return pm


def _label(pm: pluggy.PluginManager, plugin: object) -> str:
    """A name a person recognises: the entry-point name and distribution,
    the module, or the class."""
    if isinstance(plugin, types.ModuleType):
        where = plugin.__name__
    else:
        cls = plugin if isinstance(plugin, type) else type(plugin)
        where = f"{cls.__module__}.{cls.__qualname__}"
    name = pm.get_name(plugin)
    for p, dist in pm.list_plugin_distinfo():
        if p is plugin:
            return f"{name!r} ({where}, from {dist.metadata['Name']} {dist.version})"
    if name is not None and name not in (where, str(id(plugin))):
        return f"{name!r} ({where})"
    return repr(where)


def _hint(message: str) -> str:
    m = re.search(r"unknown hook '(\w+)'", message)
    close = difflib.get_close_matches(m.group(1), _HOOKS, n=1) if m else []
    return f"; did you mean {close[0]!r}?" if close else ""


def rule_set(pm: pluggy.PluginManager, categories: CategoryRegistry) -> RuleSet:
    """The rule sets of every plugin (built-in defaults first), merged, plus
    the keywords of categories no rule covers, checked against the
    registered categories."""
    answers = pm.hook.complaintflow_rule_sets()
    sets: list[RuleSet] = []
    for answer in reversed(answers):  # registration order
        for s in [answer] if isinstance(answer, RuleSet) else answer or ():
            if not isinstance(s, RuleSet):
                raise PluginError(
                    f"a complaintflow_rule_sets hook returned {type(s).__name__}, not RuleSet"
                )
            sets.append(s)
    rules = RuleSet.merged(sets, name="+".join(s.name for s in sets) or "none")
    rules = rules.with_keywords({c.id: c.keywords for c in categories.values()})
    return rules.checked(categories)


def bootstrap(
    plugins: Iterable[object], *, load_entry_points: bool
) -> tuple[pluggy.PluginManager, CategoryRegistry, RuleSet]:
    """A plugin manager with the built-ins, the categories every plugin
    registers, and the merged rule set."""
    pm = make_plugin_manager(
        plugins,
        load_entry_points=load_entry_points,
        builtins=[(name, cls()) for name, cls in BUILTIN_PLUGINS],
    )
    categories = CategoryRegistry()
    pm.hook.complaintflow_register_categories(register=categories.register)
    return pm, categories, rule_set(pm, categories)
