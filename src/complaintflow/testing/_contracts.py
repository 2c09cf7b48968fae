"""Contract suites for plugin authors: notifiers and category plugins.

Each is a plain class of ``test_*`` methods to subclass in a pytest module
(name the subclass ``Test...``) and a function that runs the same checks
and raises :class:`~complaintflow.testing.ConformanceError`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from complaintflow.categories import BUILTIN_CATEGORIES, Category
from complaintflow.commands import (
    Acknowledge,
    Classify,
    Command,
    Decide,
    Execute,
    FollowUp,
    ProvideInfo,
    RecordStep,
    RequestInfo,
)
from complaintflow.engine import Engine
from complaintflow.errors import InvalidInput
from complaintflow.models import Actor, Complaint, NewComplaint, Notification, Party
from complaintflow.sla import BusinessCalendar, Duration
from complaintflow.sla._policy import GUIDE_POLICY, SlaPolicy
from complaintflow.testing._clock import FakeClock
from complaintflow.testing._verify import ConformanceError, verify_policy

__all__ = [
    "CategoryContract",
    "NotifierContract",
    "check_category_plugin",
    "check_notifier",
]

_T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday morning
_HANDLER = Actor(id="contract-handler", roles=frozenset({"handler"}))
_COMPLAINANT = Actor(id="contract-u1", roles=frozenset({"complainant"}))
_RESPONDENT = Actor(id="contract-shop", roles=frozenset({"respondent"}))
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def _fail(subject: str, prop: str, explanation: str, **example: Any) -> ConformanceError:
    return ConformanceError(subject, prop, explanation, example)


def _submit(engine: Engine, category: str) -> Complaint:
    return engine.submit(
        NewComplaint(
            channel="web",
            category=category,
            complainant=Party(id=_COMPLAINANT.id, name="Li Hua", contact="li@example.cn"),
            respondent=Party(id=_RESPONDENT.id, kind="merchant"),
            subject="A complaint of the contract suite",
        ),
        actor=_COMPLAINANT,
    )


def _step_data(category: Category, step: str) -> dict[str, str]:
    spec = category.step(step)
    return {k: v[0] for k, v in (spec.fields if spec else {}).items() if v}


def _lifecycle(category: Category) -> list[Callable[[datetime], Command]]:
    """Commands taking a complaint of ``category`` from received to closed,
    with an information request on the way: every kind of notification."""
    cmds: list[Callable[[datetime], Command]] = [
        lambda at: Acknowledge(actor=_HANDLER, at=at),
        lambda at: RequestInfo(actor=_HANDLER, at=at, party="complainant", question="Receipt?"),
        lambda at: ProvideInfo(actor=_COMPLAINANT, at=at, info="Attached."),
        lambda at: Classify(actor=_HANDLER, at=at),
    ]
    for step in sorted(category.required_steps):
        cmds.append(
            lambda at, s=step: RecordStep(  # type: ignore[misc]
                actor=_HANDLER, at=at, step=s, data=_step_data(category, s)
            )
        )
    cmds += [
        lambda at: Decide(actor=_HANDLER, at=at, outcome="upheld", basis="Rule 4.2"),
        lambda at: Execute(actor=_HANDLER, at=at),
        lambda at: FollowUp(actor=_HANDLER, at=at, satisfied=True),
    ]
    return cmds


# -- notifiers ----------------------------------------------------------------------


def _drive(
    engine: Engine, clock: FakeClock, category: Category
) -> tuple[Complaint, list[tuple[str, Complaint]]]:
    c = _submit(engine, category.id)
    applied: list[tuple[str, Complaint]] = []
    for make in _lifecycle(category):
        at = clock.advance(hours=1)
        command = make(at)
        try:
            c = engine.handle(c.id, command)
        except KeyboardInterrupt:  # pragma: no cover - never swallow ^C
            raise
        except BaseException as e:
            raise _fail(
                "notifier",
                "a failing notifier never rolls back a command",
                f"{command.type} raised {type(e).__name__}: {e} out of engine.handle, so the "
                "caller sees the command fail (and a host transaction around it rolls back) "
                "although the engine had applied it",
                command=command.type,
            ) from None
        applied.append((command.type, c))
    return c, applied


def check_notifier(
    make_notifier: Callable[[int], Any],
    delivered: Callable[[Any], Sequence[str]],
    *,
    category: Category | None = None,
    plugins: Sequence[object] = (),
) -> None:
    """Run the notifier contract; raise :class:`ConformanceError` on the
    first broken property.

    :param make_notifier: ``make_notifier(failures)`` returns a fresh plugin
        (an object with a ``complaintflow_notify`` hookimpl) whose transport
        fails the first ``failures`` sends of each notification (raising any
        ``Exception``), then works.
    :param delivered: the idempotency keys a notifier has really sent, in
        order, one entry per send.
    :param category: the category the test complaint has (``goods``).
    :param plugins: other plugins every engine of the contract carries (the
        plugin that registers ``category``, policy hooks, ...).

    The properties: every notification of a complaint's life is delivered;
    a notification handed over twice (two workers, a lost acknowledgement:
    delivery is at-least-once) is sent once, by its idempotency key; a
    failing transport leaves the notification pending with the error and
    ``deliver_pending`` retries it until it is sent, once; a notifier that
    keeps failing never rolls back a command (``handle`` returns the applied
    complaint, its trail is complete).
    """
    cat = category or next(c for c in BUILTIN_CATEGORIES if c.id == "goods")
    notifier, outbox = _check_delivered_once(make_notifier, delivered, cat, plugins)
    _check_repeat_dropped(notifier, delivered, outbox[0])
    _check_failures_retried(make_notifier, delivered, cat, plugins)


def _check_delivered_once(
    make_notifier: Callable[[int], Any],
    delivered: Callable[[Any], Sequence[str]],
    cat: Category,
    plugins: Sequence[object],
) -> tuple[Any, list[Notification]]:
    """Every notification of a complaint's life is sent, once: the notifier
    and the complaint's outbox."""
    clock = FakeClock(_T0)
    notifier = make_notifier(0)
    engine = Engine(clock=clock, plugins=[*plugins, notifier], load_entry_points=False)
    c, _ = _drive(engine, clock, cat)
    outbox = engine.store.notifications(c.id)
    sent = list(delivered(notifier))
    if sorted(sent) != sorted(n.idempotency_key for n in outbox):
        raise _fail(
            "notifier",
            "every notification is delivered, once",
            f"the outbox holds {sorted(n.kind for n in outbox)} but the notifier sent "
            f"{len(sent)} messages with keys {sent}",
        )
    pending = [n.kind for n in outbox if n.status != "delivered"]
    if pending:
        raise _fail("notifier", "every notification is delivered", f"still pending: {pending}")
    return notifier, outbox


def _check_repeat_dropped(
    notifier: Any, delivered: Callable[[Any], Sequence[str]], again: Notification
) -> None:
    """A notification handed over again is dropped by its idempotency key."""
    notifier.complaintflow_notify(notification=again)
    repeats = [k for k, n in Counter(delivered(notifier)).items() if n > 1]
    if repeats:
        raise _fail(
            "notifier",
            "delivery is at-least-once: a notification handed over again is dropped by its "
            "idempotency key",
            f"the {again.kind} notification {again.idempotency_key!r}, handed over a second "
            "time, was sent twice",
            idempotency_key=again.idempotency_key,
        )


def _check_failures_retried(
    make_notifier: Callable[[int], Any],
    delivered: Callable[[Any], Sequence[str]],
    cat: Category,
    plugins: Sequence[object],
) -> None:
    """Failed sends never roll back a command, stay pending with their error
    and are retried until delivered, once."""
    clock = FakeClock(_T0)
    flaky = make_notifier(2)
    backoff = timedelta(minutes=1)
    engine = Engine(
        clock=clock, plugins=[*plugins, flaky], load_entry_points=False, retry_backoff=backoff
    )
    plain_clock = FakeClock(_T0)
    plain = Engine(clock=plain_clock, plugins=plugins, load_entry_points=False)
    c, applied = _drive(engine, clock, cat)
    _, expected = _drive(plain, plain_clock, cat)
    _check_no_rollback(engine, c, applied, expected)
    outbox = engine.store.notifications(c.id)
    unrecorded = [n.kind for n in outbox if n.status == "pending" and not n.last_error]
    if unrecorded or any(n.status == "delivered" for n in outbox):
        raise _fail(
            "notifier",
            "a failed send leaves the notification pending with its error",
            f"after one failed send each: {[(n.kind, n.status, n.last_error) for n in outbox]}",
        )
    now = clock.now
    for _ in range(6):
        now += timedelta(days=1)
        engine.deliver_pending(now=now)
    outbox = engine.store.notifications(c.id)
    sent = list(delivered(flaky))
    if any(n.status != "delivered" for n in outbox) or sorted(sent) != sorted(
        n.idempotency_key for n in outbox
    ):
        raise _fail(
            "notifier",
            "failed sends are retried until delivered, once",
            f"after retries the outbox is {[(n.kind, n.status) for n in outbox]} and the "
            f"notifier sent {sent}",
        )


def _check_no_rollback(
    engine: Engine,
    c: Complaint,
    applied: list[tuple[str, Complaint]],
    expected: list[tuple[str, Complaint]],
) -> None:
    """With the notifier failing, every command applied as it does without one."""
    for (kind, got), (_, want) in zip(applied, expected, strict=True):
        if (got.status, got.version) != (want.status, want.version):
            raise _fail(
                "notifier",
                "a failing notifier never rolls back a command",
                f"with the notifier failing, {kind} left the complaint {got.status.value} at "
                f"version {got.version}; without a notifier it is {want.status.value} at "
                f"version {want.version}",
                command=kind,
            )
    if engine.get(c.id).version != c.version or len(engine.history(c.id)) != c.version:
        raise _fail(
            "notifier",
            "a failing notifier never rolls back a command",
            f"handle returned version {c.version}, the store holds "
            f"{engine.get(c.id).version} with {len(engine.history(c.id))} events",
        )


class NotifierContract:
    """The notifier contract as pytest tests: subclass it as
    ``class TestMyNotifier(NotifierContract)`` and implement
    :meth:`make_notifier` and :meth:`delivered` (see :func:`check_notifier`)."""

    category: Category | None = None
    plugins: Sequence[object] = ()

    def make_notifier(self, failures: int) -> Any:
        """A fresh notifier whose transport fails its first ``failures`` sends
        of each notification."""
        raise NotImplementedError

    def delivered(self, notifier: Any) -> Sequence[str]:
        """The idempotency keys ``notifier`` really sent, one per send."""
        raise NotImplementedError

    def test_notifier_contract(self) -> None:
        check_notifier(
            self.make_notifier, self.delivered, category=self.category, plugins=self.plugins
        )


# -- category plugins ------------------------------------------------------------------


def _categories_of(plugin: object) -> list[Category]:
    found: list[Category] = []
    hook = getattr(plugin, "complaintflow_register_categories", None)
    if hook is None:
        raise _fail(
            "category plugin",
            "a category plugin implements complaintflow_register_categories",
            f"{plugin!r} has no complaintflow_register_categories",
        )
    hook(register=found.append)
    return found


def _check_category(cat: Category, policy: SlaPolicy, calendar: BusinessCalendar) -> None:
    subject = f"category {cat.id!r}"
    if not cat.steps:
        raise _fail(subject, "a category has a procedure", "it has no steps (guide §4)")
    ids = [s.id for s in cat.steps]
    missing = sorted(cat.required_steps - set(ids))
    if missing:
        raise _fail(
            subject,
            "required steps are steps of the category",
            f"{missing} are required but not among its steps {ids}",
        )
    if not cat.required_steps:
        raise _fail(
            subject,
            "a decision requires at least one step (guide §3.1: decide on verified facts)",
            "required_steps is empty",
        )
    named = [("category", cat.id, cat.name, cat.name_zh)] + [
        ("step", s.id, s.name, s.name_zh) for s in cat.steps
    ]
    for what, ident, name, name_zh in named:
        if not _LATIN.search(name or ""):
            raise _fail(subject, "names are given in English", f"{what} {ident!r}: name {name!r}")
        if not _HAN.search(name_zh or ""):
            raise _fail(
                subject, "names are given in Chinese", f"{what} {ident!r}: name_zh {name_zh!r}"
            )
    for target, duration in cat.sla_overrides.items():
        if target not in {t.name for t in policy}:
            raise _fail(
                subject,
                "SLA overrides name targets of the policy",
                f"{target!r} is not a target of policy {policy.name!r}",
                target=target,
            )
        if not isinstance(duration, Duration):
            raise _fail(
                subject,
                "SLA overrides are durations",
                f"{target!r}: {duration!r} is not a Duration",
            )
        try:
            Duration(duration.kind, duration.amount)
        except InvalidInput as e:
            raise _fail(
                subject,
                "SLA overrides are valid durations",
                f"{target!r}: {duration.kind}({duration.amount!r}): {e.errors[0]['reason']}",
            ) from None
    if cat.sla_overrides:
        verify_policy(policy.with_durations(cat.sla_overrides), calendar, max_examples=25)


def check_category_plugin(
    plugin: object,
    *,
    policy: SlaPolicy = GUIDE_POLICY,
    calendar: BusinessCalendar | None = None,
) -> list[Category]:
    """Run the category-plugin contract on ``plugin`` (a module or object
    with a ``complaintflow_register_categories`` hookimpl); return its
    categories or raise :class:`ConformanceError`.

    Each category has steps, required steps that are among them (at least
    one), names in English and in Chinese (the category's and every step's),
    SLA overrides that name targets of ``policy`` and pass
    :func:`verify_policy` on ``calendar`` (UTC, Monday to Friday by default);
    an engine with the plugin registers them, and a complaint of each goes
    from receipt to closed through its required steps and replays."""
    cats = _categories_of(plugin)
    if not cats:
        raise _fail("category plugin", "a category plugin registers categories", "none registered")
    cal = calendar or BusinessCalendar("UTC")
    for cat in cats:
        _check_category(cat, policy, cal)
    clock = FakeClock(_T0)
    engine = Engine(clock=clock, policy=policy, calendar=cal, load_entry_points=False)
    if not all(engine.categories.get(cat.id) == cat for cat in cats):
        # the built-in categories come with every engine; others need the plugin
        engine = Engine(
            clock=clock, plugins=[plugin], policy=policy, calendar=cal, load_entry_points=False
        )
    for cat in cats:
        if engine.categories.get(cat.id) != cat:
            raise _fail(
                f"category {cat.id!r}",
                "an engine with the plugin knows its categories",
                "the engine's registry does not hold it",
            )
        c = _submit(engine, cat.id)
        for make in _lifecycle(cat):
            c = engine.handle(c.id, make(clock.advance(hours=1)))
        if c.status != "closed" or engine.replay(engine.history(c.id)) != c:
            raise _fail(
                f"category {cat.id!r}",
                "a complaint goes through the category's procedure and replays",
                f"it ended {c.status.value}",
            )
    return cats


class CategoryContract:
    """The category-plugin contract as pytest tests: subclass it as
    ``class TestMyCategories(CategoryContract)`` and set :attr:`plugin`
    (see :func:`check_category_plugin`)."""

    plugin: Any = None
    policy: SlaPolicy = GUIDE_POLICY
    calendar: BusinessCalendar | None = None

    def test_category_contract(self) -> None:
        if self.plugin is None:
            raise InvalidInput.field("plugin", "set the plugin under test on the class")
        check_category_plugin(self.plugin, policy=self.policy, calendar=self.calendar)
