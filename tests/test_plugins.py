"""The plugin system: discovery through a real entry point, ordering,
blocking, the loud failure for a misspelt hook, and each hook doing what
its spec (``complaintflow.hookspecs``) says."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT,
    HANDLER,
    STRANGER,
    T0,
    bring_to,
    check_trail,
    cmd,
    do,
    make_engine,
    new_complaint,
    record_required,
)

SECURITY_INSTALLED = importlib.util.find_spec("complaintflow_security") is not None and any(
    ep.name == "security" for ep in importlib.metadata.entry_points(group="complaintflow")
)
BUILTIN_IDS = [c.id for c in cf.BUILTIN_CATEGORIES]

needs_security = pytest.mark.skipif(
    not SECURITY_INSTALLED,
    reason="the example plugin is not installed: pip install -e examples/complaintflow-security",
)


@pytest.fixture(autouse=True)
def _no_blocked_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPLAINTFLOW_DISABLE_PLUGINS", raising=False)


def category(cid: str, *steps: str) -> cf.Category:
    return cf.Category(
        id=cid,
        name=cid.replace("_", " ").capitalize(),
        steps=tuple(cf.Step(id=s, name=s) for s in steps or ("investigate",)),
    )


class Categories:
    """A plugin that registers the categories it is given."""

    def __init__(self, *categories: cf.Category) -> None:
        self.categories = categories

    @cf.hookimpl
    def complaintflow_register_categories(self, register: Callable[[cf.Category], None]) -> None:
        for c in self.categories:
            register(c)


class Classifier:
    def __init__(self, answer: str | None, calls: list[str] | None = None) -> None:
        self.answer = answer
        self.calls = calls if calls is not None else []

    @cf.hookimpl
    def complaintflow_classify(self, complaint: cf.Complaint) -> str | None:
        self.calls.append(complaint.subject)
        return self.answer


class Misspelt:
    @cf.hookimpl
    def complaintflow_notfy(self, notification: cf.Notification) -> None:
        raise AssertionError("never called")


# -- discovery, ordering, blocking (the real entry point) ---------------------


@needs_security
def test_the_example_is_discovered_through_its_entry_point() -> None:
    import complaintflow_security

    (ep,) = list(importlib.metadata.entry_points(group="complaintflow"))
    assert (ep.name, ep.load()) == ("security", complaintflow_security)
    engine = cf.Engine()
    assert "network_security" in engine.categories
    assert "network_security" not in cf.Engine(load_entry_points=False).categories


@needs_security
@pytest.mark.parametrize("value", ["security", " security ", "nothing,security"])
def test_the_environment_blocks_an_entry_point(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("COMPLAINTFLOW_DISABLE_PLUGINS", value)
    engine = cf.Engine()
    assert "network_security" not in engine.categories
    assert sorted(engine.categories) == sorted(BUILTIN_IDS)


@needs_security
def test_call_order_is_plugins_last_first_then_entry_points_then_builtins() -> None:
    # later registrations are called first; categories are registered in
    # call order, so the registry shows it
    engine = cf.Engine(plugins=[Categories(category("first")), Categories(category("second"))])
    assert list(engine.categories) == [
        "second",
        "first",
        "network_security",
        *BUILTIN_IDS,
    ]


@needs_security
def test_a_host_plugin_overrides_an_entry_point_for_firstresult_hooks() -> None:
    relaxed = cf.SlaPolicy(
        [cf.SlaTarget("verification", "receipt", "classify", cf.hours(96))], name="relaxed"
    )

    class Host:
        @cf.hookimpl
        def complaintflow_sla_policy(self, complaint: cf.Complaint) -> cf.SlaPolicy | None:
            return relaxed if complaint.category == "network_security" else None

    clock = FakeClock(T0)
    for plugins, expected in (([], "security-high"), ([Host()], "relaxed")):
        engine = cf.Engine(clock=clock, plugins=plugins)
        c = engine.submit(new_complaint("network_security"), actor=COMPLAINANT)
        do(engine, clock, c.id, "acknowledge")
        do(engine, clock, c.id, "record_step", step="assess_risk", data={"risk_level": "high"})
        assert engine.get(c.id).sla.policy["name"] == expected  # type: ignore[union-attr]


def test_the_last_plugin_in_the_list_is_asked_first() -> None:
    calls: list[str] = []
    fallback, override = Classifier("service", calls), Classifier("goods", calls)
    engine = make_engine(plugins=(fallback, override))
    c = engine.submit(new_complaint(None), actor=COMPLAINANT)
    assert c.category == "goods"
    assert len(calls) == 1  # first result wins: the fallback was not asked
    calls.clear()
    fallback.answer, override.answer = "service", None
    assert engine.submit(new_complaint(None), actor=COMPLAINANT).category == "service"
    assert len(calls) == 2


def test_tryfirst_still_wins_over_list_order() -> None:
    class Urgent:
        @cf.hookimpl(tryfirst=True)
        def complaintflow_classify(self, complaint: cf.Complaint) -> str | None:
            return "violation"

    engine = make_engine(plugins=(Urgent(), Classifier("service")))
    assert engine.submit(new_complaint(None), actor=COMPLAINANT).category == "violation"


def test_the_environment_blocks_a_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTFLOW_DISABLE_PLUGINS", "complaintflow.categories")
    engine = make_engine(plugins=(Categories(category("only_mine")),))
    assert list(engine.categories) == ["only_mine"]


def test_a_misspelt_hook_fails_loudly_naming_the_plugin() -> None:
    with pytest.raises(cf.PluginError) as info:
        make_engine(plugins=(Misspelt(),))
    message = str(info.value)
    assert "test_plugins.Misspelt" in message
    assert "unknown hook 'complaintflow_notfy'" in message
    assert "did you mean 'complaintflow_notify'?" in message


def test_a_misspelt_hook_in_a_module_names_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_plugin_dist(tmp_path, monkeypatch)
    import cf_broken_plugin

    with pytest.raises(cf.PluginError, match=r"'cf_broken_plugin'.*complaintflow_sla_alrt"):
        make_engine(plugins=(cf_broken_plugin,))


def _write_plugin_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed distribution ``cf-broken`` whose entry point ``broken``
    (group ``complaintflow``) is a module with a misspelt hook."""
    (tmp_path / "cf_broken_plugin.py").write_text(
        textwrap.dedent(
            """
            import complaintflow as cf

            @cf.hookimpl
            def complaintflow_sla_alrt(alert):
                pass
            """
        )
    )
    info = tmp_path / "cf_broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cf-broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[complaintflow]\nbroken = cf_broken_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_misspelt_entry_point_fails_loudly_and_can_be_blocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_plugin_dist(tmp_path, monkeypatch)
    with pytest.raises(cf.PluginError) as info:
        cf.Engine()
    message = str(info.value)
    assert "'broken' (cf_broken_plugin, from cf-broken 0.1)" in message
    assert "did you mean 'complaintflow_sla_alert'?" in message
    # the host is not stuck with it: block it, or do not load entry points
    assert cf.Engine(load_entry_points=False).categories
    monkeypatch.setenv("COMPLAINTFLOW_DISABLE_PLUGINS", "broken")
    assert "goods" in cf.Engine().categories


def test_a_hook_with_an_unknown_argument_is_a_plugin_error() -> None:
    class Wrong:
        @cf.hookimpl
        def complaintflow_notify(self, note: cf.Notification) -> None: ...

    with pytest.raises(cf.PluginError, match=r"(?s)test_plugins.*Wrong.*{.note.} are declared"):
        make_engine(plugins=(Wrong(),))


# -- complaintflow_register_categories ----------------------------------------


def test_a_registered_category_is_usable(clock: FakeClock) -> None:
    recall = category("product_recall", "check_batch", "investigate")
    recall = recall.model_copy(update={"required_steps": frozenset({"check_batch"})})
    engine = make_engine(clock, plugins=(Categories(recall),))
    c = engine.submit(new_complaint("product_recall"), actor=COMPLAINANT)
    do(engine, clock, c.id, "acknowledge")
    do(engine, clock, c.id, "classify")
    with pytest.raises(cf.GuardFailed, match="check_batch"):
        do(engine, clock, c.id, "decide")
    do(engine, clock, c.id, "record_step", step="check_batch")
    assert do(engine, clock, c.id, "decide").status == cf.Status.decided


@pytest.mark.parametrize(
    ("plugin", "match"),
    [
        (Categories(category("goods")), "category 'goods' is registered twice"),
        (Categories(category("x"), category("x")), "category 'x' is registered twice"),
        (Categories("not a category"), "takes a Category, not str"),  # type: ignore[arg-type]
    ],
)
def test_bad_registrations_are_plugin_errors(plugin: object, match: str) -> None:
    with pytest.raises(cf.PluginError, match=match):
        make_engine(plugins=(plugin,))


# -- complaintflow_store --------------------------------------------------------


class CountingStore(cf.MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.saves = 0

    def save(self, complaint: cf.Complaint, **kw: Any) -> None:
        self.saves += 1
        super().save(complaint, **kw)


class StorePlugin:
    def __init__(self, store: cf.Store | None) -> None:
        self.store = store
        self.calls = 0

    @cf.hookimpl
    def complaintflow_store(self) -> cf.Store | None:
        self.calls += 1
        return self.store


def test_a_host_supplied_store_is_used(clock: FakeClock) -> None:
    store = CountingStore()
    engine = make_engine(clock, plugins=(StorePlugin(store),))
    assert engine.store is store
    c = bring_to(engine, clock, "verifying")
    assert store.load(c.id) == c
    assert store.saves == 2
    assert isinstance(engine.store, cf.Store)


def test_a_store_hook_that_defers_gets_the_memory_store() -> None:
    later = CountingStore()
    engine = make_engine(plugins=(StorePlugin(None), StorePlugin(later)))
    assert engine.store is later
    engine = make_engine(plugins=(StorePlugin(None),))
    assert type(engine.store) is cf.MemoryStore


def test_an_explicit_store_wins_over_the_hook() -> None:
    mine, plugin = cf.MemoryStore(), StorePlugin(CountingStore())
    engine = cf.Engine(store=mine, plugins=[plugin], load_entry_points=False)
    assert engine.store is mine
    assert plugin.calls == 0


# -- complaintflow_notify ---------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.got: list[cf.Notification] = []

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.got.append(notification)


def test_every_notifier_gets_every_notification(clock: FakeClock) -> None:
    a, b = Inbox(), Inbox()
    engine = make_engine(clock, plugins=(a, b))
    c = bring_to(engine, clock, "decided")
    expected = [
        ("acknowledgement", COMPLAINANT.id),
        ("decision", COMPLAINANT.id),
        ("decision", "shop-9"),
    ]
    assert [(n.kind, n.recipient) for n in a.got] == expected
    assert [n.id for n in a.got] == [n.id for n in b.got]
    outbox = engine.store.notifications(c.id)  # type: ignore[attr-defined]
    assert {n.status for n in outbox} == {"delivered"}
    decision = a.got[1]
    assert decision.data["outcome"] == "upheld"
    assert decision.idempotency_key == decision.id


def test_without_notifiers_notifications_wait_in_the_outbox(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = bring_to(engine, clock, "verifying")
    (n,) = engine.store.pending_notifications()
    assert (n.complaint_id, n.kind, n.attempts) == (c.id, "acknowledgement", 0)
    assert engine.deliver_pending() == 0


# -- complaintflow_classify ---------------------------------------------------------


def test_a_classifier_overrides_the_builtin_rules() -> None:
    # the built-in keyword rules would pick goods ("broken", "quality")
    new = new_complaint(None, subject="Broken kettle", description="Poor quality")
    assert make_engine().submit(new, actor=COMPLAINANT).category == "goods"
    c = make_engine(plugins=(Classifier("violation"),)).submit(new, actor=COMPLAINANT)
    assert c.category == "violation"
    assert c.classification == cf.Classification(category="violation", score=1.0, source="plugin")


def test_a_classifier_that_defers_leaves_it_to_the_rules() -> None:
    plugin = Classifier(None)
    new = new_complaint(None, subject="Broken kettle")
    c = make_engine(plugins=(plugin,)).submit(new, actor=COMPLAINANT)
    assert plugin.calls == ["Broken kettle"]
    assert (c.category, c.classification.source) == ("goods", "rules")  # type: ignore[union-attr]


def test_a_classifier_is_not_asked_when_the_category_is_given() -> None:
    plugin = Classifier("service")
    c = make_engine(plugins=(plugin,)).submit(new_complaint("goods"), actor=COMPLAINANT)
    assert (c.category, plugin.calls) == ("goods", [])


def test_a_classifier_returning_an_unknown_category_is_a_plugin_error() -> None:
    engine = make_engine(plugins=(Classifier("spaceships"),))
    with pytest.raises(cf.PluginError, match="unknown category 'spaceships'"):
        engine.submit(new_complaint(None), actor=COMPLAINANT)
    assert engine.store.find() == []


# -- complaintflow_screen -------------------------------------------------------------


class DuplicateScreen:
    @cf.hookimpl
    def complaintflow_screen(self, complaint: cf.Complaint, store: cf.Store) -> list[cf.Flag]:
        earlier = [
            c.id
            for c in store.find(complainant=complaint.complainant.id, open_only=True)
            if c.order_id == complaint.order_id
        ]
        if not earlier:
            return []
        return [cf.Flag(kind="duplicate", reason="same order, still open", related=tuple(earlier))]


class ShortScreen:
    @cf.hookimpl
    def complaintflow_screen(self, complaint: cf.Complaint, store: cf.Store) -> list[cf.Flag]:
        if len(complaint.description) < 40:
            return [cf.Flag(kind="incomplete", reason="description under 40 characters")]
        return []


def test_screening_flags_are_recorded_on_the_complaint(monkeypatch: pytest.MonkeyPatch) -> None:
    # only these plugins' screens: the built-in ones are tested in tests/rules
    monkeypatch.setenv("COMPLAINTFLOW_DISABLE_PLUGINS", "complaintflow.rules")
    engine = make_engine(plugins=(DuplicateScreen(), ShortScreen()))
    first = engine.submit(new_complaint(), actor=COMPLAINANT)
    assert [f.kind for f in first.flags] == ["incomplete"]
    second = engine.submit(new_complaint(), actor=COMPLAINANT)
    # every screen's flags, the last registered first
    assert [(f.kind, f.related) for f in second.flags] == [
        ("incomplete", ()),
        ("duplicate", (first.id,)),
    ]
    assert engine.get(second.id).flags == second.flags  # saved, and
    assert engine.history(second.id)[0].data["complaint"]["flags"]  # in the audit trail
    assert second.status == cf.Status.received  # flags mark, never drop


def test_a_screen_returning_something_else_is_a_plugin_error() -> None:
    class Bad:
        @cf.hookimpl
        def complaintflow_screen(self, complaint: cf.Complaint, store: cf.Store) -> list[str]:
            return ["duplicate"]

    with pytest.raises(cf.PluginError, match="not Flag"):
        make_engine(plugins=(Bad(),)).submit(new_complaint(), actor=COMPLAINANT)


# -- complaintflow_authorize ------------------------------------------------------------


class Rule:
    def __init__(self, answer: Callable[[cf.Actor, str], bool | None]) -> None:
        self.answer = answer
        self.seen: list[str] = []

    @cf.hookimpl
    def complaintflow_authorize(
        self, actor: cf.Actor, command: str, complaint: cf.Complaint
    ) -> bool | None:
        self.seen.append(command)
        return self.answer(actor, command)


def test_false_denies_even_a_handler(clock: FakeClock) -> None:
    freeze = Rule(lambda actor, command: False if command == "decide" else None)
    engine = make_engine(clock, plugins=(freeze,))
    c = bring_to(engine, clock, "classified")
    with pytest.raises(cf.PermissionDenied, match="a plugin denied 'h-1' to decide"):
        do(engine, clock, c.id, "decide")
    assert engine.get(c.id) == c
    assert "decide" not in engine.allowed(c.id, actor=HANDLER)
    do(engine, clock, c.id, "note")  # other commands defer to the role table


class BotRole:
    """Declares the role its authorizer knows (roles are checked)."""

    @cf.hookimpl
    def complaintflow_roles(self) -> set[str]:
        return {"bot"}


def test_true_allows_a_stranger(clock: FakeClock) -> None:
    bot = cf.Actor(id="triage-bot", roles=frozenset({"bot"}))
    engine = make_engine(clock, plugins=(BotRole(),))
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    with pytest.raises(cf.PermissionDenied):
        engine.handle(c.id, cmd("acknowledge", bot))
    # an undeclared role is a clear error, not a puzzling denial
    with pytest.raises(cf.InvalidInput, match="unknown role 'bot'"):
        make_engine(clock).handle(c.id, cmd("acknowledge", bot))
    rule = Rule(lambda actor, _: actor.has("bot") or None)
    engine = make_engine(clock, plugins=(rule, BotRole()))
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    assert engine.handle(c.id, cmd("acknowledge", bot)).status == cf.Status.verifying
    assert engine.view(c.id, actor=bot).id == c.id
    # allowed is not forced: the state machine still applies
    with pytest.raises(cf.InvalidTransition):
        engine.handle(c.id, cmd("execute", bot))


def test_none_defers_to_the_role_table(clock: FakeClock) -> None:
    rule = Rule(lambda actor, command: None)
    engine = make_engine(clock, plugins=(rule,))
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    with pytest.raises(cf.PermissionDenied):
        do(engine, clock, c.id, "acknowledge", STRANGER)
    assert do(engine, clock, c.id, "acknowledge").status == cf.Status.verifying
    assert rule.seen == ["submit", "acknowledge", "acknowledge"]


def test_any_false_wins_over_any_true(clock: FakeClock) -> None:
    yes, no = Rule(lambda *_: True), Rule(lambda _, command: None if command == "submit" else False)
    engine = make_engine(clock, plugins=(yes, no))
    c = engine.submit(new_complaint(), actor=STRANGER)  # True, no False: allowed
    with pytest.raises(cf.PermissionDenied):
        do(engine, clock, c.id, "acknowledge")


# -- complaintflow_sla_policy, complaintflow_sla_alert ---------------------------------


def test_the_policy_hook_sets_the_policy_at_submission(clock: FakeClock) -> None:
    hotline = cf.SlaPolicy(
        [cf.SlaTarget("preliminary_verification", "receipt", "acknowledge", cf.hours(2))],
        name="hotline",
    )

    class Hotline:
        @cf.hookimpl
        def complaintflow_sla_policy(self, complaint: cf.Complaint) -> cf.SlaPolicy | None:
            return hotline if complaint.channel == "hotline" else None

    engine = make_engine(clock, plugins=(Hotline(),))
    c = engine.submit(new_complaint(channel="hotline"), actor=COMPLAINANT)
    # 2 h from receipt at T0 (09:00) -> 11:00
    assert engine.sla(c.id)["preliminary_verification"].deadline == T0.replace(hour=11)
    assert engine.history(c.id)[0].data["policy"]["name"] == "hotline"
    web = engine.submit(new_complaint(channel="web"), actor=COMPLAINANT)
    assert engine.history(web.id)[0].data["policy"]["name"] == "guide"


def test_a_policy_hook_returning_something_else_is_a_plugin_error() -> None:
    class Bad:
        @cf.hookimpl
        def complaintflow_sla_policy(self, complaint: cf.Complaint) -> object:
            return {"verification": cf.hours(1)}

    with pytest.raises(cf.PluginError, match="returned dict, not SlaPolicy"):
        make_engine(plugins=(Bad(),)).submit(new_complaint(), actor=COMPLAINANT)


def test_a_failing_alert_hook_does_not_stop_the_sweep(clock: FakeClock) -> None:
    seen: list[cf.SlaAlert] = []

    class Pager:
        @cf.hookimpl
        def complaintflow_sla_alert(self, alert: cf.SlaAlert) -> None:
            seen.append(alert)
            raise ConnectionError("pager down")

    engine = make_engine(clock, plugins=(Pager(),))
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    alerts = engine.sweep(now=T0.replace(hour=21))  # half of 24 h from 09:00
    assert [(a.target, a.kind) for a in alerts] == [("preliminary_verification", "warning")]
    assert seen == alerts
    assert engine.history(c.id)[-1].type == "sla_warning"
    assert engine.sweep(now=T0.replace(hour=21)) == []  # emitted once
    check_trail(engine, c.id)


# -- complaintflow_event ----------------------------------------------------------------


class Mirror:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[cf.Event] = []
        self.versions: list[int] = []
        self.fail = fail

    @cf.hookimpl
    def complaintflow_event(self, event: cf.Event, complaint: cf.Complaint) -> None:
        self.events.append(event)
        self.versions.append(complaint.version)
        if self.fail:
            raise RuntimeError("audit mirror offline")


def test_the_event_hook_mirrors_the_audit_trail(clock: FakeClock) -> None:
    mirror = Mirror()
    engine = make_engine(clock, plugins=(mirror,))
    c = bring_to(engine, clock, "closed")
    engine.sweep(now=clock.advance(days=30))
    assert mirror.events == engine.history(c.id)
    # each seen with the complaint saved after the command
    assert mirror.versions[-1] == engine.get(c.id).version


def test_the_event_hook_is_not_called_for_a_failed_command(clock: FakeClock) -> None:
    mirror = Mirror()
    engine = make_engine(clock, plugins=(mirror,))
    c = bring_to(engine, clock, "verifying")
    seen = len(mirror.events)
    for bad in (
        cmd("decide", HANDLER),  # not allowed while verifying
        cmd("acknowledge", STRANGER),  # not permitted
        cmd("record_step", HANDLER, step="nope"),  # guard fails
        {"type": "note", "actor": HANDLER, "text": ""},  # invalid input
    ):
        with pytest.raises(cf.ComplaintFlowError):
            engine.handle(c.id, bad)
    assert len(mirror.events) == seen


def test_a_raising_event_hook_does_not_undo_the_command(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    mirror = Mirror(fail=True)
    engine = make_engine(clock, plugins=(mirror,))
    c = bring_to(engine, clock, "classified")
    record_required(engine, clock, c.id)
    after = do(engine, clock, c.id, "decide")
    assert after.status == cf.Status.decided
    assert engine.get(c.id) == after
    assert mirror.events == check_trail(engine, c.id)
    assert "complaintflow_event hook failed" in caplog.text
