"""The plugin-manager factory: no global manager, one per engine."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Final

import pluggy

from complaintflow import hookspecs
from complaintflow.errors import PluginError

DISABLE_ENV: Final = "COMPLAINTFLOW_DISABLE_PLUGINS"
"""Comma-separated plugin names (entry-point names) to block."""


def make_plugin_manager(
    plugins: Iterable[object] = (),
    *,
    load_entry_points: bool = True,
    builtins: Iterable[tuple[str, object]] = (),
) -> pluggy.PluginManager:
    """Build a plugin manager: built-ins, entry points, then ``plugins``.

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
        name = pm.get_name(e.plugin) or repr(e.plugin)
        raise PluginError(f"plugin {name!r}: {e}") from e
    except ValueError as e:  # registered twice
        raise PluginError(str(e)) from e
    return pm
