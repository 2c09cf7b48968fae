"""The built-in screens (guide §2.3): duplicate, incomplete, malicious.

They run at submit through the ``complaintflow_screen`` hook, like any
plugin's screen, and only add flags with reasons: a complaint is never
dropped or rejected by a screen; a handler decides (``Reject``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from difflib import SequenceMatcher
from typing import Any, Final

from complaintflow.models import Complaint, Flag
from complaintflow.rules._ruleset import (
    DuplicateScreen,
    IncompleteScreen,
    MaliciousScreen,
    RuleSet,
)
from complaintflow.rules._text import compact, normalize

__all__ = ["screen"]

WARNING: Final = "malicious_warning"
"""The flag kind of the warning that comes before a ``malicious`` flag."""
_PAGE: Final = 100


def _complaints_of(store: Any, complainant: str, *, open_only: bool) -> Iterator[Complaint]:
    offset = 0
    while True:
        page = store.find(complainant=complainant, open_only=open_only, limit=_PAGE, offset=offset)
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def similarity(a: str, b: str) -> float:
    """How alike two texts are after normalisation (0 to 1, spaces ignored)."""
    x, y = compact(normalize(a)), compact(normalize(b))
    if not x and not y:
        return 1.0
    m = SequenceMatcher(None, x, y, autojunk=False)
    return m.ratio()


def _text(c: Complaint) -> str:
    return f"{c.subject} {c.description}"


def duplicate(c: Complaint, store: Any, cfg: DuplicateScreen) -> list[Flag]:
    if not cfg.enabled:
        return []
    text = compact(normalize(_text(c)))
    for other in _complaints_of(store, c.complainant.id, open_only=True):
        if other.id == c.id:
            continue
        if (
            c.respondent is not None
            and other.respondent is not None
            and c.respondent.id != other.respondent.id
        ):
            continue
        if cfg.same_order and c.order_id is not None and c.order_id == other.order_id:
            why = f"same complainant, respondent and order {c.order_id!r}"
        else:
            o = compact(normalize(_text(other)))
            m = SequenceMatcher(None, text, o, autojunk=False)
            if m.real_quick_ratio() < cfg.similarity or m.quick_ratio() < cfg.similarity:
                continue
            ratio = m.ratio()
            if ratio < cfg.similarity:
                continue
            why = f"subject and description {ratio:.0%} alike (>= {cfg.similarity:.0%})"
        reason = f"duplicate of open complaint {other.id}: {why}"
        return [Flag(kind="duplicate", reason=reason, related=(other.id,))]
    return []


def incomplete(c: Complaint, cfg: IncompleteScreen) -> list[Flag]:
    if not cfg.enabled:
        return []
    wanted = list(cfg.default)
    if c.category is not None:
        wanted += [f for f in cfg.required.get(c.category, ()) if f not in wanted]
    values = {
        "respondent": c.respondent,
        "order_id": c.order_id,
        "description": c.description.strip() or None,
        "evidence": c.evidence or None,
    }
    missing = [f for f in wanted if values[f] is None]
    if not missing:
        return []
    what = f"a {c.category} complaint" if c.category is not None else "every complaint"
    reason = f"missing what {what} needs: {', '.join(missing)}"
    return [Flag(kind="incomplete", reason=reason)]


def malicious(c: Complaint, store: Any, cfg: MaliciousScreen) -> list[Flag]:
    if not cfg.enabled:
        return []
    window = timedelta(hours=cfg.window_hours)
    since = c.received_at - window
    recent = [
        o
        for o in _complaints_of(store, c.complainant.id, open_only=False)
        if o.id != c.id and since < o.received_at <= c.received_at
    ]
    count = len(recent) + 1
    if count <= cfg.limit:
        return []
    hours = f"{cfg.window_hours:g} hours"
    warned = any(f.kind in (WARNING, "malicious") for o in recent for f in o.flags)
    if not warned:
        reason = (
            f"{count} complaints from this complainant within {hours} (more than "
            f"{cfg.limit}): a warning; another one over the limit is flagged for review"
        )
        return [Flag(kind=WARNING, reason=reason)]
    reason = (
        f"{count} complaints from this complainant within {hours} (more than {cfg.limit}) "
        "after a warning: for human review (never rejected automatically)"
    )
    return [Flag(kind="malicious", reason=reason, related=tuple(o.id for o in recent))]


def screen(c: Complaint, store: Any, rules: RuleSet) -> list[Flag]:
    """Every built-in screen's flags for a new complaint."""
    return [
        *duplicate(c, store, rules.duplicate),
        *incomplete(c, rules.incomplete),
        *malicious(c, store, rules.malicious),
    ]
