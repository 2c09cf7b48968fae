"""Messages people read: every kind in both languages, deadlines in the
recipient's zone, overrides, and the respondent never sees the complainant."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._messages import KINDS
from complaintflow.testing import FakeClock

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
HANDLER = cf.Actor(id="agent-li", roles={"handler"})


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_message_docs", ROOT / "scripts/gen_message_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def test_the_story_covers_every_kind_and_role() -> None:
    got = {(n.kind, n.recipient_role) for n, _ in GEN.story()}
    assert {k for k, _ in got} == set(KINDS)
    assert ("decision", "respondent") in got
    assert ("info_request", "respondent") in got


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_message_of_the_story_is_filled(lang: str) -> None:
    for n, c in GEN.story():
        m = cf.render_notification(n, c, lang=lang, tz="Asia/Shanghai")
        text = str(m)
        assert "$" not in text, (n.kind, text)  # every name the template uses is offered
        assert m.title
        assert m.title.count("\n") == 0
        assert n.complaint_id in text
        if n.kind in ("acknowledgement", "decision", "sla_warning", "sla_breach"):
            assert "UTC+08:00" in text  # by when, in the recipient's zone


def test_the_docs_page_shows_the_current_messages() -> None:
    assert GEN.main(["--check"]) == 0


# -- deadlines, by hand from the guide ----------------------------------------


def _flow() -> tuple[cf.Engine, FakeClock, cf.Complaint]:
    clock = FakeClock(T0)
    engine = cf.Engine(clock=clock, load_entry_points=False)
    c = engine.submit(
        cf.NewComplaint(
            id="c-1",
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-1", name="Zhang San", contact="+86 138 0000 0000"),
            respondent=cf.Party(id="shop-9", kind="merchant", name="Kettle Shop"),
            subject="Broken kettle",
        ),
        actor=cf.Actor.system(),
    )
    return engine, clock, c


def _note(engine: cf.Engine, kind: str, role: str) -> cf.Notification:
    return next(
        n
        for n in engine.store.notifications()  # type: ignore[attr-defined]
        if n.kind == kind and n.recipient_role == role
    )


def test_acknowledgement_states_the_verification_deadline_in_the_recipients_zone() -> None:
    engine, clock, c = _flow()
    clock.advance(timedelta(hours=1))
    c = engine.handle(c.id, cf.Acknowledge(actor=HANDLER))
    c = engine.view(c.id, actor=cf.Actor.system())  # names from the vault, at delivery
    n = _note(engine, "acknowledgement", "complainant")
    # guide §3.3.2: 48 hours from receipt (2026-03-09 02:00 UTC)
    zh = cf.render_notification(n, c, tz="Asia/Shanghai").body
    assert "预计完成时间：2026年03月11日 10:00（UTC+08:00）" in zh
    assert zh.startswith("尊敬的Zhang San：")
    en = cf.render_notification(n, c, lang="en", tz="America/New_York").body
    assert "Expected by: 2026-03-10 22:00 (UTC-04:00)" in en  # EDT from 8 March 2026
    # without the complaint: no name, no deadline, still a full message
    bare = cf.render_notification(n, lang="en").body
    assert bare.startswith("Hello,")
    assert "Expected by: within the time limits of our complaint policy" in bare


def test_decision_states_when_it_is_carried_out() -> None:
    engine, clock, c = _flow()
    for cmd in (
        cf.Acknowledge(actor=HANDLER),
        cf.Classify(actor=HANDLER),
        cf.RecordStep(actor=HANDLER, step="contact_complainant"),
        cf.RecordStep(actor=HANDLER, step="investigate"),
    ):
        clock.advance(timedelta(hours=1))
        c = engine.handle(c.id, cmd)
    effective = T0 + timedelta(days=1)
    c = engine.handle(
        c.id,
        cf.Decide(
            actor=HANDLER, outcome="partially_upheld", basis="Rule 4.2", effective_at=effective
        ),
    )
    n = _note(engine, "decision", "respondent")
    # guide §3.3.4: carried out within 24 hours after it takes effect
    for complaint in (c, None):
        body = cf.render_notification(n, complaint, lang="en", tz="UTC").body
        assert "Takes effect: 2026-03-10 02:00 (UTC+00:00)" in body
        assert "carry out the decision. Expected by: 2026-03-11 02:00 (UTC+00:00)." in body
        assert "Outcome: partially upheld" in body
        assert "Remedy: none" in body
    assert "处理结果：投诉部分成立" in cf.render_notification(n, c).body


@pytest.mark.parametrize(
    ("reason", "zh", "en"),
    [
        ("duplicate", "c-0", "complaint c-0"),
        ("incomplete", "请补充完整信息", "missing information"),
        ("malicious", "复核", "we will review it"),
        ("out_of_scope", "有权处理", "authority"),
    ],
)
def test_rejections_say_what_the_complainant_can_do(reason: str, zh: str, en: str) -> None:
    n = cf.Notification(
        id="c-1:2:rejection:complainant",
        complaint_id="c-1",
        event_seq=2,
        kind="rejection",
        recipient="u-1",
        recipient_role="complainant",
        created_at=T0,
        data={"subject": "s", "reason": reason, "statement": "because", "duplicate_of": "c-0"},
    )
    assert zh in cf.render_notification(n).body
    assert en in cf.render_notification(n, lang="en").body


def test_follow_up_when_not_satisfied() -> None:
    n = cf.Notification(
        id="x",
        complaint_id="c-1",
        event_seq=9,
        kind="follow_up",
        recipient="u-1",
        recipient_role="complainant",
        created_at=T0,
        data={"subject": "s", "satisfied": False},
    )
    assert "sorry" in cf.render_notification(n, lang="en").body
    assert "很抱歉" in cf.render_notification(n).body


# -- confidentiality (guide §3.1) -----------------------------------------------------

_SECRET = st.text(alphabet="QXZJKVW", min_size=8, max_size=20)


class Greedy:
    """A host template that tries to name the complainant."""

    @cf.hookimpl
    def complaintflow_message_templates(self, lang: str) -> dict[str, str]:
        leak = "$complainant_name $complainant_contact ${contact} ${name} $complainant"
        return {k: f"{k}: $subject\n\n$greeting {leak}" for k in KINDS}


@given(name=_SECRET, contact=_SECRET, lang=st.sampled_from(["zh", "en"]), greedy=st.booleans())
def test_a_message_to_the_respondent_never_names_the_complainant(
    name: str, contact: str, lang: str, greedy: bool
) -> None:
    clock = FakeClock(T0)
    engine = cf.Engine(clock=clock, load_entry_points=False)
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-1", name=name, contact=contact),
            respondent=cf.Party(id="shop-9", kind="merchant", name="Kettle Shop"),
            subject="Broken kettle",
        ),
        actor=cf.Actor.system(),
    )
    for cmd in (
        cf.Acknowledge(actor=HANDLER),
        cf.RequestInfo(actor=HANDLER, party="respondent", question="Photos, please?"),
        cf.ProvideInfo(actor=HANDLER, info="sent"),
        cf.Classify(actor=HANDLER),
        cf.RecordStep(actor=HANDLER, step="contact_complainant"),
        cf.RecordStep(actor=HANDLER, step="investigate"),
        cf.Decide(actor=HANDLER, outcome="upheld", basis="Rule 4.2"),
    ):
        clock.advance(timedelta(hours=1))
        c = engine.handle(c.id, cmd)
    c = engine.view(c.id, actor=cf.Actor.system())  # names from the vault, at delivery
    notes = engine.store.notifications(c.id)  # type: ignore[attr-defined]
    to_respondent = [n for n in notes if n.recipient_role == "respondent"]
    assert {n.kind for n in to_respondent} == {"info_request", "decision"}
    # and every other kind, addressed to the respondent as a host might
    to_respondent += [
        n.model_copy(update={"recipient": "shop-9", "recipient_role": "respondent"})
        for n in notes
        if n.recipient_role != "respondent"
    ]
    messages = cf.Messages(plugins=[Greedy()]) if greedy else None
    for n in to_respondent:
        text = str(cf.render_notification(n, c, lang=lang, messages=messages))
        assert name not in text
        assert contact not in text
    # the complainant's own messages do greet them by name
    ack = next(n for n in notes if n.kind == "acknowledgement")
    assert name in str(cf.render_notification(ack, c, lang=lang))


# -- overrides, safety, bad input ----------------------------------------------------------


def _ack() -> tuple[cf.Notification, cf.Complaint]:
    engine, clock, c = _flow()
    clock.advance(timedelta(hours=1))
    c = engine.handle(c.id, cf.Acknowledge(actor=HANDLER))
    return _note(engine, "acknowledgement", "complainant"), c


def test_a_template_directory_overrides_one_kind_and_adds_a_language(tmp_path: Path) -> None:
    n, c = _ack()
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "acknowledgement.txt").write_text(
        "Got it: ${subject}\n\nWe answer by ${deadline}.\n", encoding="utf-8"
    )
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "acknowledgement.txt").write_text(
        "Reçu : ${subject}\n\nRéponse avant le ${deadline}.", encoding="utf-8"
    )
    m = cf.Messages(template_dir=tmp_path)
    en = m.render(n, c, lang="en")
    assert (en.title, en.body) == (
        "Got it: Broken kettle",
        "We answer by 2026-03-11 02:00 (UTC+00:00).",
    )
    assert m.render(n, c, lang="fr").title == "Reçu : Broken kettle"
    assert m.render(n, c, lang="zh").title == "我们已收到您的投诉：Broken kettle"
    with pytest.raises(cf.InvalidInput) as e:
        m.render(n.model_copy(update={"kind": "decision"}), c, lang="fr")
    assert e.value.errors[0]["field"] == "lang"


def test_substitution_evaluates_nothing_and_does_not_expand_twice() -> None:
    n, c = _ack()

    class Tricky:
        @cf.hookimpl
        def complaintflow_message_templates(self, lang: str) -> dict[str, str]:
            return {"info_request": "{0.__class__} ${question} $$ ${unknown}\n\n{subject}"}

    q = n.model_copy(
        update={"kind": "info_request", "data": {"subject": "s", "question": "${subject} $x"}}
    )
    m = cf.render_notification(q, c, lang="en", messages=cf.Messages(plugins=[Tricky()]))
    assert m.title == "{0.__class__} ${subject} $x $ ${unknown}"
    assert m.body == "{subject}"


def test_bad_plugin_answers_are_plugin_errors() -> None:
    n, c = _ack()

    class NotAMapping:
        @cf.hookimpl
        def complaintflow_message_templates(self, lang: str) -> Any:
            return ["oops"]

    class NotText:
        @cf.hookimpl
        def complaintflow_message_templates(self, lang: str) -> Any:
            return {"acknowledgement": 42}

    for plugin in (NotAMapping(), NotText()):
        with pytest.raises(cf.PluginError):
            cf.render_notification(n, c, messages=cf.Messages(plugins=[plugin]))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": 8}, "tz"),
        ({"lang": ""}, "lang"),
        ({"lang": "xx"}, "lang"),
        ({"messages": object()}, "messages"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    n, c = _ack()
    with pytest.raises(cf.InvalidInput) as e:
        cf.render_notification(n, c, **kwargs)
    assert e.value.errors[0]["field"] == field


def test_bad_notification_or_complaint() -> None:
    n, c = _ack()
    with pytest.raises(cf.InvalidInput) as e:
        cf.render_notification(n, c.model_copy(update={"id": "other"}))
    assert e.value.errors[0]["field"] == "complaint"
    with pytest.raises(cf.InvalidInput):
        cf.render_notification(n, "c-1")  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput):
        cf.render_notification(42)  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput) as e:
        cf.render_notification({"id": "x"})
    assert e.value.errors[0]["field"].startswith("notification")
    # a dict is fine
    assert cf.render_notification(n.model_dump(), c).title.startswith("我们已收到")
    with pytest.raises(cf.InvalidInput) as e:
        cf.Messages(template_dir="/no/such/dir")
    assert e.value.errors[0]["field"] == "template_dir"
