"""A deadline certificate as text, in Chinese or English."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

CertificateEvent = Any
DeadlineCertificate = Any

_LABELS: Final[dict[str, dict[str, str]]] = {
    "title": {"zh": "期限证明", "en": "Deadline certificate"},
    "complaint": {"zh": "投诉", "en": "Complaint"},
    "target": {"zh": "时限", "en": "Target"},
    "cycle": {"zh": "轮次", "en": "cycle"},
    "rule": {"zh": "依据", "en": "Rule"},
    "counting": {"zh": "计算方法", "en": "Counting"},
    "start": {"zh": "起算", "en": "Start"},
    "calendar": {"zh": "日历", "en": "Calendar"},
    "version": {"zh": "版本", "en": "version"},
    "covers": {"zh": "数据覆盖", "en": "covers"},
    "provisional": {"zh": "暂定（超出日历数据）", "en": "provisional (past the calendar's data)"},
    "final": {"zh": "确定", "en": "final"},
    "days": {"zh": "逐日计算", "en": "Days"},
    "pauses": {"zh": "暂停", "en": "Pauses"},
    "changes": {"zh": "延长与重算", "en": "Extensions and recalculations"},
    "deadline": {"zh": "期限", "en": "Deadline"},
    "promised": {"zh": "原告知期限", "en": "Promised"},
    "state": {"zh": "状态", "en": "State"},
    "as_of": {"zh": "截至", "en": "as of"},
    "stop": {"zh": "完成事件", "en": "Stop"},
    "none": {"zh": "无", "en": "none"},
    "removed": {"zh": "扣除", "en": "removed"},
    "counted": {"zh": "计入", "en": "counted"},
    "not_counted": {"zh": "不计", "en": "not counted"},
    "beyond": {"zh": "（数据外，按周规律）", "en": " (past the data, weekly pattern)"},
    "extension": {"zh": "延长", "en": "extension"},
    "recalculation": {"zh": "重算", "en": "recalculation"},
    "note": {"zh": "说明", "en": "Note"},
    "truncated": {"zh": "（其余日期略）", "en": "(further days omitted)"},
}

_KINDS: Final[dict[str, dict[str, str]]] = {
    "working_day": {"zh": "工作日", "en": "working day"},
    "weekend": {"zh": "周末", "en": "weekend"},
    "holiday": {"zh": "法定节假日", "en": "holiday"},
    "makeup_working_day": {"zh": "调休上班日", "en": "makeup working day"},
}

_STATES: Final[dict[str, dict[str, str]]] = {
    "pending": {"zh": "未开始", "en": "pending"},
    "running": {"zh": "计时中", "en": "running"},
    "paused": {"zh": "暂停", "en": "paused"},
    "met": {"zh": "按时完成", "en": "met"},
    "breached": {"zh": "超时", "en": "breached"},
    "cancelled": {"zh": "已取消", "en": "cancelled"},
    "undetermined": {"zh": "待定", "en": "undetermined"},
}

_WEEKDAYS: Final = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def _t(dt: datetime | None, lang: str) -> str:
    if dt is None:
        return _LABELS["none"][lang]
    return dt.isoformat(sep=" ", timespec="seconds")


def _span(td: timedelta | None, kind: str, lang: str) -> str:
    if td is None:
        return _LABELS["none"][lang]
    if kind in ("working_days", "calendar_days"):
        n = td / timedelta(days=1)
        return f"{n:.4g}" + ("日" if lang == "zh" else " d")
    h = td / timedelta(hours=1)
    return f"{h:.4g}" + ("小时" if lang == "zh" else " h")


def _ev(e: CertificateEvent | None, lang: str) -> str:
    if e is None:
        return _LABELS["none"][lang]
    return f"#{e.seq} {e.type} {_t(e.at, lang)} ({e.actor})"


def _head(c: DeadlineCertificate, lang: str) -> list[str]:
    L = {k: v[lang] for k, v in _LABELS.items()}
    rule = c.provision or c.policy or L["none"]
    text = c.provision_text_zh if lang == "zh" and c.provision_text_zh else c.provision_text
    cal = c.calendar
    covers = f"{cal.valid_from} – {cal.valid_until}" if cal.valid_from and cal.valid_until else "—"
    status = L["provisional"] if cal.provisional else L["final"]
    return [
        f"{L['title']}: {L['complaint']} {c.complaint_id}, {L['target']} {c.target} "
        f"({L['cycle']} {c.cycle})",
        f"{L['rule']}: {rule}" + (f" “{text}”" if text else ""),
        f"{L['counting']}: {c.counting_zh if lang == 'zh' else c.counting_en}",
        f"{L['start']}: {_ev(c.start_event, lang)}; {_t(c.started_at, lang)}",
        f"{L['calendar']}: {cal.name or cal.timezone} {L['version']} {cal.version}, "
        f"{cal.source or '—'}, {L['covers']} {covers}, {status}",
    ]


def render(c: DeadlineCertificate, lang: str) -> str:
    """The certificate's text (``lang`` is ``zh`` or ``en``)."""
    L = {k: v[lang] for k, v in _LABELS.items()}
    lines = _head(c, lang)
    lines.append(f"{L['days']}:")
    total = timedelta(0)
    for d in c.days:
        total += d.counted
        kind = _KINDS[d.kind][lang] + (f" {d.name}" if d.name else "")
        kind += L["beyond"] if d.beyond_data else ""
        if d.counted > timedelta(0):
            what = f"{L['counted']} {_span(d.counted, c.kind, lang)}"
            what += f" (Σ {_span(total, c.kind, lang)})"
        else:
            what = L["not_counted"]
        if d.paused > timedelta(0):
            what += f", {L['removed']} {_span(d.paused, c.kind, lang)}"
        wd = _WEEKDAYS[lang][d.date.weekday()]
        lines.append(f"  {d.date.isoformat()} {wd} {kind}: {what}")
    if c.days_truncated:
        lines.append(f"  {L['truncated']}")
    lines.append(f"{L['pauses']}: " + ("" if c.pauses else L["none"]))
    for p in c.pauses:
        lines.append(
            f"  {_t(p.start, lang)} → {_t(p.end, lang)}: {_ev(p.opened_by, lang)} / "
            f"{_ev(p.closed_by, lang)}, {L['removed']} {_span(p.removed, c.kind, lang)}"
        )
    lines.append(f"{L['changes']}: " + ("" if c.changes else L["none"]))
    for ch in c.changes:
        amount = f" +{ch.amount:g}" if ch.amount is not None else ""
        lines.append(
            f"  {L[ch.kind]}{amount}: {_ev(ch.event, lang)}, {_t(ch.before, lang)} → "
            f"{_t(ch.after, lang)}" + (f" ({ch.reason})" if ch.reason else "")
        )
    lines.append(f"{L['deadline']}: {_t(c.deadline, lang)}")
    if c.promised is not None:
        lines.append(f"{L['promised']}: {_t(c.promised, lang)}")
    lines.append(f"{L['state']} ({L['as_of']} {_t(c.as_of, lang)}): {_STATES[c.state][lang]}")
    lines.append(f"{L['stop']}: {_ev(c.stop_event, lang)}")
    for n in c.notes:
        lines.append(f"{L['note']}: {n}")
    return "\n".join(lines) + "\n"
