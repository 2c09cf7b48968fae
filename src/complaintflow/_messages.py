"""Messages people read: every notification kind as text, in Chinese and
English (guide §5.1, 投诉协调与沟通: keep the parties informed at each step,
in their language, without exposing the other party's private data).

Templates are :class:`string.Template` texts (``$name`` / ``${name}``),
filled with safe substitution: nothing in a template is evaluated, and a
name the message does not offer stays as written. The first line of a
template is the title, the rest (after one blank line) the body.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaintflow._base import validate
from complaintflow.errors import InvalidInput, PluginError
from complaintflow.models import Complaint, Notification

__all__ = ["Message", "Messages", "render_notification"]

KINDS: Final = (
    "acknowledgement",
    "info_request",
    "decision",
    "follow_up",
    "rejection",
    "screening_warning",
    "sla_warning",
    "sla_breach",
)
"""The notification kinds the engine queues."""

_ZH_TIME: Final = "%Y年%m月%d日 %H:%M"
_EN_TIME: Final = "%Y-%m-%d %H:%M"

TEMPLATE_ROOT: Final = resources.files("complaintflow") / "templates"
"""The built-in templates: ``<lang>/<kind>.txt``, the same layout as a host's
template directory."""

BUILTIN_LANGS: Final = ("zh", "en")


def _builtin(kind: str, lang: str) -> str | None:
    if lang not in BUILTIN_LANGS or kind not in KINDS:
        return None
    return (TEMPLATE_ROOT / lang / f"{kind}.txt").read_text(encoding="utf-8")


_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "zh": {
        "greeting": "尊敬的${name}：",
        "greeting_anon": "您好：",
        "unknown_time": "按平台规定时限",
        "none": "无",
        "upheld": "投诉成立",
        "partially_upheld": "投诉部分成立",
        "not_upheld": "投诉不成立",
        "duplicate": "重复投诉",
        "incomplete": "投诉信息不完整",
        "malicious": "经审核认定为恶意投诉",
        "out_of_scope": "不属于本平台受理范围",
        "next_duplicate": "该问题已在投诉 ${original} 中处理，处理进展将通过该投诉告知您。",
        "next_incomplete": "请补充完整信息后重新提交投诉，我们会尽快受理。",
        "next_malicious": "如您认为此判断有误，请回复本消息说明情况，我们将予以复核。",
        "next_out_of_scope": "建议您向有权处理该事项的部门或机构反映。",
        "next_other": "如有疑问，请回复本消息。",
        "satisfied": "很高兴问题已得到解决。",
        "not_satisfied": "很抱歉处理结果未能让您满意，您的意见已记录在案，将用于改进我们的工作。",
        "preliminary_verification": "初步核实",
        "verification": "核实与分类",
        "decision_notice": "处理决定通知",
        "execution": "执行处理决定",
        "follow_up": "跟进反馈",
    },
    "en": {
        "greeting": "Dear ${name},",
        "greeting_anon": "Hello,",
        "unknown_time": "within the time limits of our complaint policy",
        "none": "none",
        "upheld": "upheld",
        "partially_upheld": "partially upheld",
        "not_upheld": "not upheld",
        "duplicate": "it repeats an earlier complaint",
        "incomplete": "the complaint lacks information we need",
        "malicious": "we found the complaint to be made in bad faith",
        "out_of_scope": "the matter is outside what this platform handles",
        "next_duplicate": "We are handling the same problem in complaint ${original} "
        "and will keep you informed there.",
        "next_incomplete": "Please submit the complaint again with the missing information "
        "and we will take it up promptly.",
        "next_malicious": "If you think we are wrong, reply to this message and explain; "
        "we will review it.",
        "next_out_of_scope": "We suggest raising it with the authority or organisation "
        "responsible for the matter.",
        "next_other": "If you have questions, reply to this message.",
        "satisfied": "We are glad the problem is solved.",
        "not_satisfied": "We are sorry the outcome did not satisfy you; your view is on "
        "record and helps us improve.",
        "preliminary_verification": "preliminary verification",
        "verification": "verification and classification",
        "decision_notice": "decision notice",
        "execution": "execution of the decision",
        "follow_up": "follow-up",
    },
}

# the SLA target whose deadline says "by when" in each kind's message
_NEXT_TARGET: Final = {"acknowledgement": "verification", "decision": "execution"}


@dataclass(frozen=True, slots=True)
class Message:
    """A notification as text: a title (an e-mail subject, a push title) and a body."""

    kind: str
    lang: str
    title: str
    body: str

    def __str__(self) -> str:
        return f"{self.title}\n\n{self.body}"


def _split(kind: str, text: str) -> tuple[str, str]:
    title, _, body = text.strip("\n").partition("\n")
    return title.strip(), body.strip("\n")


class Messages:
    """Renders notifications from templates: a template directory first,
    then the ``complaintflow_message_templates`` hook's answers, then the
    built-in Chinese and English ones.

    :param plugins: plugin objects implementing ``complaintflow_message_templates``.
    :param template_dir: a directory of ``<lang>/<kind>.txt`` files (UTF-8,
        title on the first line, then a blank line, then the body).
    :param hook: a hook caller to ask instead of building a plugin manager
        from ``plugins`` (an engine passes its own).
    """

    def __init__(
        self,
        *,
        plugins: Sequence[object] = (),
        template_dir: str | Path | None = None,
        hook: Callable[..., list[Any]] | None = None,
    ) -> None:
        if template_dir is not None:
            template_dir = Path(template_dir)
            if not template_dir.is_dir():
                raise InvalidInput.field("template_dir", f"{template_dir} is not a directory")
        self.template_dir = template_dir
        if hook is None and plugins:
            from complaintflow._plugins import make_plugin_manager

            hook = make_plugin_manager(
                plugins, load_entry_points=False
            ).hook.complaintflow_message_templates
        self._hook = hook

    def template(self, kind: str, lang: str) -> str | None:
        """The template used for ``kind`` in ``lang``, or ``None``."""
        if self.template_dir is not None:
            path = self.template_dir / lang / f"{kind}.txt"
            if path.is_file():
                return path.read_text(encoding="utf-8")
        if self._hook is not None:
            for answer in self._hook(lang=lang):
                if answer is None:
                    continue
                if not isinstance(answer, Mapping):
                    raise PluginError(
                        "a complaintflow_message_templates hook returned "
                        f"{type(answer).__name__}, not a mapping of kind to template"
                    )
                found = answer.get(kind)
                if found is not None:
                    if not isinstance(found, str):
                        raise PluginError(
                            f"a complaintflow_message_templates hook gave {kind!r} in "
                            f"{lang!r} as {type(found).__name__}, not str"
                        )
                    return found
        return _builtin(kind, lang)

    def render(
        self,
        notification: Notification | Mapping[str, Any],
        complaint: Complaint | None = None,
        *,
        lang: str = "zh",
        tz: str | tzinfo | None = None,
    ) -> Message:
        """The notification as a :class:`Message` in ``lang`` with times in
        ``tz`` (the recipient's zone; UTC when omitted)."""
        n = _notification(notification)
        if complaint is not None:
            if not isinstance(complaint, Complaint):
                raise InvalidInput.field("complaint", "must be a Complaint or None")
            if complaint.id != n.complaint_id:
                raise InvalidInput.field(
                    "complaint",
                    f"is {complaint.id!r}, not the notification's {n.complaint_id!r}",
                )
        if not isinstance(lang, str) or not lang:
            raise InvalidInput.field("lang", "must be a language code such as 'zh' or 'en'")
        zone = _zone(tz)
        text = self.template(n.kind, lang)
        if text is None:
            raise InvalidInput.field(
                "lang",
                f"no template for {n.kind!r} in {lang!r}; built-in languages: "
                f"{', '.join(BUILTIN_LANGS)} (add one with a template directory or the "
                "complaintflow_message_templates hook)",
            )
        title, body = _split(n.kind, text)
        values = _values(n, complaint, lang, zone)
        return Message(
            kind=n.kind,
            lang=lang,
            title=string.Template(title).safe_substitute(values),
            body=string.Template(body).safe_substitute(values),
        )


def _notification(value: Notification | Mapping[str, Any]) -> Notification:
    if isinstance(value, Notification):
        return value
    if not isinstance(value, Mapping):
        raise InvalidInput.field(
            "notification", f"must be a Notification, not {type(value).__name__}"
        )
    return validate(Notification, dict(value), "notification")


def _zone(tz: str | tzinfo | None) -> tzinfo:
    if tz is None:
        return ZoneInfo("UTC")
    if isinstance(tz, tzinfo):
        return tz
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise InvalidInput.field("tz", f"{tz!r} is not an IANA time zone (e.g. 'Asia/Shanghai')")


def _time(value: Any, lang: str, zone: tzinfo) -> str | None:
    """An aware time as the recipient reads it, with its UTC offset."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    t = value.astimezone(zone)
    offset = t.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    off = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    if lang == "zh":
        return f"{t.strftime(_ZH_TIME)}（{off}）"
    return f"{t.strftime(_EN_TIME)} ({off})"


def _word(lang: str, key: str, **names: str) -> str:
    words = _WORDS.get(lang, _WORDS["en"])
    return string.Template(words.get(key, key)).safe_substitute(names)


def _target_deadline(c: Complaint | None, name: str) -> datetime | None:
    if c is None or c.sla is None:
        return None
    found = [r for r in c.sla.targets if r.name == name and r.deadline is not None]
    return found[-1].deadline if found else None


def _values(n: Notification, c: Complaint | None, lang: str, zone: tzinfo) -> dict[str, str]:
    """What a template may use. Only the recipient's own name is offered:
    never the other party's name or contact (guide §3.1 confidentiality)."""
    d = n.data
    unknown = _word(lang, "unknown_time")
    name: str | None = None
    if c is not None and n.recipient_role == "complainant":
        name = c.complainant.name
    elif c is not None and n.recipient_role == "respondent" and c.respondent is not None:
        name = c.respondent.name
    greeting = _word(lang, "greeting", name=name) if name else _word(lang, "greeting_anon")
    deadline: Any = d.get("deadline")
    if deadline is None and n.kind in _NEXT_TARGET:  # the engine may record it in data
        deadline = _target_deadline(c, _NEXT_TARGET[n.kind])
        if deadline is None and n.kind == "decision" and d.get("effective_at"):
            # guide §3.3.4: carried out within 24 hours after it takes effect
            eff = datetime.fromisoformat(str(d["effective_at"]))
            deadline = eff + timedelta(hours=24) if c is None or c.sla is None else None
    reason = str(d.get("reason", ""))
    next_step = ""
    if n.kind == "rejection":
        key = reason if reason in ("duplicate", "incomplete", "malicious", "out_of_scope") else None
        next_step = _word(lang, f"next_{key or 'other'}", original=str(d.get("duplicate_of") or ""))
        if key == "duplicate" and not d.get("duplicate_of"):
            next_step = _word(lang, "next_other")
        reason = _word(lang, reason) if key else reason
    threshold = d.get("threshold")
    outcome = d.get("outcome")
    satisfied = d.get("satisfied")
    values = {
        "complaint_id": n.complaint_id,
        "notification_id": n.id,
        "kind": n.kind,
        "recipient": n.recipient,
        "recipient_role": n.recipient_role,
        "subject": str(d.get("subject") or (c.subject if c is not None else "")),
        "status": str(d.get("status", "")),
        "greeting": greeting,
        "received_at": (_time(c.received_at, lang, zone) if c is not None else None)
        or _time(n.created_at, lang, zone)
        or unknown,
        "created_at": _time(n.created_at, lang, zone) or unknown,
        "deadline": _time(deadline, lang, zone) or unknown,
        "due_at": _time(d.get("due_at"), lang, zone) or unknown,
        "effective_at": _time(d.get("effective_at"), lang, zone) or unknown,
        "question": str(d.get("question", "")),
        "outcome": _word(lang, str(outcome)) if outcome else "",
        "basis": str(d.get("basis") or ""),
        "remedy": str(d.get("remedy") or _word(lang, "none")),
        "reason": reason,
        "statement": str(d.get("statement") or ""),
        "next_step": next_step,
        "satisfaction": ""
        if satisfied is None
        else _word(lang, "satisfied" if satisfied else "not_satisfied"),
        "target": _word(lang, str(d.get("target", ""))),
        "threshold": f"{float(threshold) * 100:.0f}%" if threshold is not None else "",
    }
    return values


_DEFAULT: Messages | None = None


def render_notification(
    notification: Notification | Mapping[str, Any],
    complaint: Complaint | None = None,
    *,
    lang: str = "zh",
    tz: str | tzinfo | None = None,
    messages: Messages | None = None,
) -> Message:
    """A notification as text people read, in ``lang`` (``"zh"`` or ``"en"``
    built in), its times in the recipient's zone ``tz`` (UTC when omitted).

    :param complaint: the notification's complaint; gives the greeting its
        name (the recipient's own, never the other party's) and the
        deadline that says by when the next step happens.
    :param messages: a :class:`Messages` with the host's templates; the
        built-in ones when omitted.

    >>> import complaintflow as cf
    >>> n = cf.Notification(
    ...     id="c-1:2:acknowledgement:complainant", complaint_id="c-1", event_seq=2,
    ...     kind="acknowledgement", recipient="u-1", recipient_role="complainant",
    ...     created_at="2026-03-09T03:00:00+00:00", data={"subject": "Broken kettle"})
    >>> print(render_notification(n, lang="en").title)
    We have received your complaint: Broken kettle
    """
    global _DEFAULT
    if messages is None:
        if _DEFAULT is None:
            _DEFAULT = Messages()
        messages = _DEFAULT
    elif not isinstance(messages, Messages):
        raise InvalidInput.field("messages", "must be a Messages or None")
    return messages.render(notification, complaint, lang=lang, tz=tz)
