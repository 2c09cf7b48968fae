"""The built-in screens (guide §2.3): duplicate, incomplete, malicious.

They run at submit through the ``complaintflow_screen`` hook, like any
plugin's screen, and only add flags with reasons: a complaint is never
dropped or rejected by a screen; a handler decides (``Reject``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from rapidfuzz.distance import Indel

from complaintflow._fingerprint import comparable
from complaintflow.models import Complaint, Flag
from complaintflow.rules._ruleset import (
    DuplicateScreen,
    IncompleteScreen,
    MaliciousScreen,
    RuleSet,
)

__all__ = ["screen"]

WARNING: Final = "malicious_warning"
"""The flag kind of the warning that comes before a ``malicious`` flag."""

CANDIDATES: Final = 10
"""How many open complaints the duplicate screen compares at the most."""

RECENT: Final = 50
"""How many complaints of the malicious screen's window it reads at the most
(for an earlier warning and the ``related`` ids); it counts them all."""

_PAGE: Final = 100


def _complaints_of(store: Any, complainant: str, *, open_only: bool) -> Iterator[Complaint]:
    # a store without the indexed look-ups: every complaint of the complainant
    offset = 0
    while True:
        page = store.find(complainant=complainant, open_only=open_only, limit=_PAGE, offset=offset)
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def similarity(a: str, b: str) -> float:
    """How alike two texts are after normalisation (0 to 1, spaces ignored):
    ``2 * LCS / (len(a) + len(b))`` over the first
    :data:`~complaintflow._fingerprint.PREFIX` normalised characters of each,
    ``LCS`` being their longest common subsequence."""
    x, y = comparable(a), comparable(b)
    if not x and not y:
        return 1.0
    return float(Indel.normalized_similarity(x, y))


def _text(c: Complaint) -> str:
    return f"{c.subject} {c.description}"


def _candidates(c: Complaint, store: Any, same_order: bool) -> Iterable[Complaint]:
    find_like = getattr(store, "find_like", None)
    if find_like is None:
        return _complaints_of(store, c.complainant.id, open_only=True)
    return find_like(c, same_order=same_order, limit=CANDIDATES)  # type: ignore[no-any-return]


def duplicate(c: Complaint, store: Any, cfg: DuplicateScreen) -> list[Flag]:
    if not cfg.enabled:
        return []
    text: str | None = None  # worked out for the first comparison
    for other in _candidates(c, store, cfg.same_order):
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
            if text is None:
                text = comparable(_text(c))
            o = comparable(_text(other))
            ratio = 1.0 if not text and not o else Indel.normalized_similarity(text, o)
            if ratio < cfg.similarity:
                continue
            why = f"subject and description {ratio:.0%} alike (>= {cfg.similarity:.0%})"
        reason = f"duplicate of open complaint {other.id}: {why}"
        return [Flag(kind="duplicate", reason=reason, related=(other.id,))]
    return []


def incomplete(c: Complaint, cfg: IncompleteScreen) -> list[Flag]:
    if not cfg.enabled:
        return []
    missing = [f for f in _wanted(cfg, c.category) if _MISSING[f](c)]
    if not missing:
        return []
    what = f"a {c.category} complaint" if c.category is not None else "every complaint"
    reason = f"missing what {what} needs: {', '.join(missing)}"
    return [Flag(kind="incomplete", reason=reason)]


_MISSING: Final = {
    "respondent": lambda c: c.respondent is None,
    "order_id": lambda c: c.order_id is None,
    "description": lambda c: not c.description.strip(),
    "evidence": lambda c: not c.evidence,
}
"""Whether a complaint lacks each field the incomplete screen may want."""


def _wanted(cfg: IncompleteScreen, category: str | None) -> tuple[str, ...]:
    """The fields a complaint of ``category`` needs: every complaint's, then
    the category's own, in order, each once."""
    extra = cfg.required.get(category, ()) if category is not None else ()
    if not extra:
        return cfg.default
    return (*cfg.default, *(f for f in extra if f not in cfg.default))


def malicious(c: Complaint, store: Any, cfg: MaliciousScreen) -> list[Flag]:
    if not cfg.enabled:
        return []
    window = _hours(cfg.window_hours)
    since, until = c.received_at - window, c.received_at
    found = _window(c, store, since, until, cfg.limit)
    if found is None:
        return []
    count, recent = found
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


@lru_cache(maxsize=16)
def _hours(hours: float) -> timedelta:
    return timedelta(hours=hours)


def _window(
    c: Complaint, store: Any, since: datetime, until: datetime, limit: int
) -> tuple[int, list[Complaint]] | None:
    """How many complaints the window holds with ``c``, and the latest
    :data:`RECENT` of them before ``c``; ``None`` when within ``limit``."""
    who = c.complainant.id
    if getattr(store, "count_from", None) is None:
        every = [
            o
            for o in _complaints_of(store, who, open_only=False)
            if o.id != c.id and since < o.received_at <= until
        ]
        count = len(every) + 1
        return None if count <= limit else (count, every[-RECENT:])
    count = store.count_from(who, since=since, until=until) + 1
    if count <= limit:
        return None
    recent = store.recent_from(who, since=since, until=until, limit=RECENT + 1)
    recent = [o for o in recent if o.id != c.id][-RECENT:]
    return count, recent


def screen(c: Complaint, store: Any, rules: RuleSet) -> list[Flag]:
    """Every built-in screen's flags for a new complaint."""
    return [
        *duplicate(c, store, rules.duplicate),
        *incomplete(c, rules.incomplete),
        *malicious(c, store, rules.malicious),
    ]
