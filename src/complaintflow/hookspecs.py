"""Hook specifications: what plugins can implement.

Plugins are objects or modules with functions marked :data:`hookimpl`, passed
to ``Engine(plugins=[...])`` or found through the entry-point group
``complaintflow``. The built-in categories come through these same hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import pluggy

if TYPE_CHECKING:
    from datetime import date

    from complaintflow.categories import Category
    from complaintflow.models import Actor, Complaint, Event, Flag, Notification

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME: Final = "complaintflow"
hookspec: Final = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl: Final = pluggy.HookimplMarker(PROJECT_NAME)
"""Mark a plugin's function as an implementation of a complaintflow hook."""


# -------------------------------------------------------------------------
# categories
# -------------------------------------------------------------------------


@hookspec
def complaintflow_register_categories(register: Callable[[Category], None]) -> None:
    """Contribute complaint categories.

    :param register: call it once per :class:`~complaintflow.Category`;
        registering an id twice (across all plugins) is a ``PluginError``.

    Called once when the engine is built. Since 0.1.
    """


# -------------------------------------------------------------------------
# storage
# -------------------------------------------------------------------------


@hookspec(firstresult=True)
def complaintflow_store() -> Any:
    """Supply the store when none is passed to ``Engine(store=...)``.

    :return: an object implementing the store contract, or ``None`` to let
        another plugin (or the default memory store) supply it.

    First result wins. Since 0.1.
    """


# -------------------------------------------------------------------------
# notifications
# -------------------------------------------------------------------------


@hookspec
def complaintflow_notify(notification: Notification) -> None:
    """Deliver a notification (guide §5.1: keep the complainant informed).

    :param notification: saved in the outbox before this is called; use
        ``notification.idempotency_key`` to drop repeats.

    Every implementation is called. Raising leaves the notification pending
    with the error recorded; ``Engine.deliver_pending()`` retries it. The
    command that caused it stays applied. Since 0.1.
    """


@hookspec
def complaintflow_message_templates(lang: str) -> Mapping[str, str] | None:
    """Supply message templates for a language (guide §5.1: in the
    recipient's language), overriding the built-in Chinese and English ones
    or adding a language.

    :param lang: the language asked for, e.g. ``"zh"``, ``"en"``, ``"ja"``.
    :return: a mapping of notification kind (``acknowledgement``,
        ``decision``, ...) to a :class:`string.Template` text (title on the
        first line, a blank line, then the body), or ``None``. Kinds left out
        fall back to the next plugin, then to the built-in templates.

    Filled with safe substitution: nothing is evaluated. See
    :func:`~complaintflow.render_notification` for the names a template may
    use. The plugin registered last is asked first. Since 0.1.
    """


# -------------------------------------------------------------------------
# classification and screening (guide §2.3)
# -------------------------------------------------------------------------


@hookspec(firstresult=True)
def complaintflow_classify(complaint: Complaint) -> str | None:
    """Pick a category for a complaint submitted without one.

    :param complaint: the new complaint (``category`` is ``None``).
    :return: a registered category id, or ``None`` to defer to the next
        plugin and finally to the built-in keyword rules.

    First result wins, before the built-in rules. Since 0.1.
    """


@hookspec
def complaintflow_screen(complaint: Complaint, store: Any, rules: Any) -> Sequence[Flag] | None:
    """Screen a new complaint (duplicate, incomplete, malicious, out_of_scope).

    :param complaint: the new complaint, not yet saved.
    :param store: the engine's store, for look-ups of earlier complaints.
    :param rules: the engine's :class:`~complaintflow.RuleSet` (its
        ``duplicate``, ``incomplete`` and ``malicious`` settings); take it
        only if you need it.
    :return: flags with reasons, or ``None``. Flags mark; they never drop a
        complaint.

    Every implementation is called; all flags are kept. Since 0.1.
    """


@hookspec
def complaintflow_rule_sets() -> Sequence[Any] | None:
    """Contribute classification rules and screening settings.

    :return: :class:`~complaintflow.RuleSet` objects (e.g. from
        ``RuleSet.load(path)``), or ``None``.

    Every implementation is called once when the engine is built; the sets
    are merged in registration order (the built-in defaults first): rules
    add up, and a setting comes from the last set that has one. A
    ``RuleSet`` is itself a plugin: ``Engine(plugins=[RuleSet.load(path)])``.
    Since 0.1.
    """


# -------------------------------------------------------------------------
# authorization
# -------------------------------------------------------------------------


@hookspec
def complaintflow_authorize(actor: Actor, command: str, complaint: Complaint) -> bool | None:
    """Allow or deny a command.

    :param actor: who runs it.
    :param command: the command's type (``decide``, ...; ``submit`` and
        ``view`` too).
    :param complaint: the complaint as it is (for ``submit``, as it would be).
    :return: ``False`` denies, ``True`` allows, ``None`` defers to the
        built-in role table. Any ``False`` wins over any ``True``.

    Every implementation is called. The state machine and the guards apply
    whatever the answer. Since 0.1.
    """


@hookspec
def complaintflow_roles() -> Iterable[str] | None:
    """Declare roles besides the built-in ones (``complainant``,
    ``respondent``, ``handler``, ``supervisor``, ``system``), for plugins
    whose ``complaintflow_authorize`` decides on them.

    :return: role names, or ``None``. An actor with a role neither built in
        nor declared is refused with ``InvalidInput`` naming the role and the
        nearest known one (a typo such as ``handlr`` is caught).

    Every implementation is called. Since 0.1.
    """


# -------------------------------------------------------------------------
# SLA
# -------------------------------------------------------------------------


@hookspec(firstresult=True)
def complaintflow_sla_policy(complaint: Complaint) -> Any:
    """Supply the SLA policy for a complaint.

    :param complaint: the complaint after the command that is being applied.
    :return: an :class:`~complaintflow.SlaPolicy`, or ``None`` for the
        engine's policy with the category's overrides.

    First result wins. A changed answer recalculates running targets from
    their original start and records a ``policy_changed`` event. Since 0.1.
    """


@hookspec(firstresult=True)
def complaintflow_calendar(complaint: Complaint) -> str | None:
    """Choose the calendar a new complaint's deadlines count on, for
    platforms serving regions with different holidays.

    :param complaint: the complaint as received (before its first event).
    :return: the name of one of the engine's calendars (the default, or one
        given in ``Engine(calendars=[...])``), or ``None`` for the default.

    First result wins. The choice is recorded in the complaint's SLA state
    (``SlaState.calendar``) and every target it starts; an unknown name is a
    :class:`~complaintflow.PluginError`. Since 0.2.
    """


@hookspec
def complaintflow_sla_alert(alert: Any) -> None:
    """Called for each SLA warning and breach that ``Engine.sweep`` finds.

    :param alert: an :class:`~complaintflow.SlaAlert`; each is emitted once.

    Every implementation is called. Since 0.1.
    """


@hookspec
def complaintflow_calendar_expiring(calendar: Any, data_ends: date) -> None:
    """Called when a calendar's data ends within the warning horizon.

    :param calendar: the :class:`~complaintflow.BusinessCalendar` whose data
        runs out.
    :param data_ends: the last date its data covers.

    Load the next year's schedule (``calendar.extended(path)``) before then:
    past it, deadlines are provisional. Every implementation is called.
    Since 0.2.
    """


# -------------------------------------------------------------------------
# lifecycle
# -------------------------------------------------------------------------


@hookspec
def complaintflow_event(event: Event, complaint: Complaint) -> None:
    """Called after every applied command, once it is saved.

    :param event: the audit-trail entry just appended.
    :param complaint: the complaint after the command.

    For audit mirrors and analytics. Raising is logged and does not undo
    the command. Since 0.1.
    """
