"""SLA policies: the targets a complaint's clocks run against (guide §3.3),
and policy packs, policies kept as TOML data that name their calendar.

``SlaPolicy.pack(name)`` reads ``complaintflow/sla/packs/<name>.toml``;
``SlaPolicy.pack_calendar(name)`` builds the calendar the pack counts in.
A pack is checked like a rule file: every mistake names the file, the table
and the key."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, final

from complaintflow._rulefile import Checker, RuleFileError, parse_toml
from complaintflow._status import Status
from complaintflow.commands import COMMAND_TYPES
from complaintflow.errors import ComplaintFlowError, InvalidInput
from complaintflow.sla._calendar import BusinessCalendar
from complaintflow.sla._durations import Duration, hours, working_days

__all__ = [
    "GUIDE_POLICY",
    "PACKS",
    "START_ANCHORS",
    "PackInfo",
    "SlaPolicy",
    "SlaTarget",
    "check_pack_file",
    "load_pack",
    "pack_calendar",
    "pack_info",
    "pack_policy",
]

START_ANCHORS: Final = frozenset({"receipt", "decision_effective"})
"""Start points that are not a command: ``receipt`` (submission, and the
reopen that starts a new cycle) and ``decision_effective`` (the decision's
``effective_at``). Any command type (``classify``, ``execute``, ...) is a
start point too."""

_COMMANDS: Final = frozenset(COMMAND_TYPES)


@final
@dataclass(frozen=True, slots=True)
class SlaTarget:
    """One deadline: from ``start`` to ``stop`` within ``duration``.

    :param name: the target's name, e.g. ``decision_notice``.
    :param start: ``"receipt"``, ``"decision_effective"`` or a command type.
    :param stop: the command type that meets the target.
    :param duration: how long it may take (:func:`hours`, :func:`working_days`, ...).
    :param pause_in: statuses in which the clock waits (``awaiting_info``).
    :param warn_at: fractions of the duration at which a warning is due.
    """

    name: str
    start: str
    stop: str
    duration: Duration
    pause_in: frozenset[Status] = field(default=frozenset({Status.awaiting_info}))
    warn_at: tuple[float, ...] = (0.5, 0.8)
    record_fields: dict[str, Any] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInput.field("name", "must be a non-empty string")
        if self.start not in START_ANCHORS and self.start not in _COMMANDS:
            raise InvalidInput.field(
                "start",
                f"{self.start!r} is neither a command type nor one of {sorted(START_ANCHORS)}",
            )
        if self.stop not in _COMMANDS:
            raise InvalidInput.field("stop", f"{self.stop!r} is not a command type")
        if not isinstance(self.duration, Duration):
            raise InvalidInput.field(
                "duration", "must be a Duration (hours(24), working_days(7), ...)"
            )
        try:
            pause = frozenset(Status(s) for s in self.pause_in)
        except ValueError as e:
            raise InvalidInput.field("pause_in", str(e)) from None
        object.__setattr__(self, "pause_in", pause)
        warn = tuple(float(w) for w in self.warn_at)
        if any(not 0 < w < 1 for w in warn) or list(warn) != sorted(set(warn)):
            raise InvalidInput.field(
                "warn_at", "must be increasing fractions strictly between 0 and 1"
            )
        object.__setattr__(self, "warn_at", warn)
        object.__setattr__(
            self,
            "record_fields",
            {
                "kind": self.duration.kind,
                "amount": float(self.duration.amount),
                "warn_at": warn,
                "pause_in": tuple(sorted(s.value for s in pause)),
            },
        )

    def to_data(self) -> dict[str, Any]:
        """A JSON-able form (kept in the audit trail)."""
        return {
            "name": self.name,
            "start": self.start,
            "stop": self.stop,
            "duration": {"kind": self.duration.kind, "amount": self.duration.amount},
            "pause_in": sorted(s.value for s in self.pause_in),
            "warn_at": list(self.warn_at),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SlaTarget:
        """The inverse of :meth:`to_data`."""
        d = data["duration"]
        return cls(
            name=data["name"],
            start=data["start"],
            stop=data["stop"],
            duration=Duration(d["kind"], d["amount"]),
            pause_in=frozenset(Status(s) for s in data["pause_in"]),
            warn_at=tuple(data["warn_at"]),
        )


@final
class SlaPolicy:
    """A named list of :class:`SlaTarget`.

    >>> from complaintflow import GUIDE_POLICY
    >>> tuple(t.name for t in GUIDE_POLICY)[:3]
    ('preliminary_verification', 'verification', 'decision_notice')
    """

    __slots__ = ("_by_name", "_data", "name", "targets")

    def __init__(self, targets: Iterable[SlaTarget], *, name: str = "custom") -> None:
        self.targets: tuple[SlaTarget, ...] = tuple(targets)
        self.name = name
        for t in self.targets:
            if not isinstance(t, SlaTarget):
                raise InvalidInput.field("targets", f"must be SlaTarget, not {type(t).__name__}")
        self._by_name = {t.name: t for t in self.targets}
        if len(self._by_name) != len(self.targets):
            raise InvalidInput.field("targets", "target names must be unique")
        self._data: dict[str, Any] | None = None

    def __iter__(self) -> Iterator[SlaTarget]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, name: str) -> SlaTarget:
        return self._by_name[name]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SlaPolicy)
            and self.name == other.name
            and self.targets == other.targets
        )

    def __hash__(self) -> int:
        return hash((self.name, self.targets))

    def __repr__(self) -> str:
        return f"SlaPolicy({self.name!r}, {[t.name for t in self.targets]})"

    def with_durations(self, overrides: Mapping[str, Duration]) -> SlaPolicy:
        """This policy with some targets' durations replaced (a category's
        SLA overrides); unknown target names are an error."""
        if not overrides:
            return self
        unknown = set(overrides) - set(self._by_name)
        if unknown:
            raise InvalidInput.field("sla_overrides", f"unknown targets: {sorted(unknown)}")
        targets = [
            SlaTarget(t.name, t.start, t.stop, overrides[t.name], t.pause_in, t.warn_at)
            if t.name in overrides
            else t
            for t in self.targets
        ]
        return SlaPolicy(targets, name=self.name)

    def to_data(self) -> dict[str, Any]:
        """A JSON-able form (kept in the audit trail). Built once and shared:
        treat it as read-only."""
        if self._data is None:
            self._data = {"name": self.name, "targets": [t.to_data() for t in self.targets]}
        return self._data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """The inverse of :meth:`to_data`."""
        return cls((SlaTarget.from_data(t) for t in data["targets"]), name=data["name"])

    @classmethod
    def pack(
        cls, name: str, *, variant: str | None = None, close_of_business: time | None = None
    ) -> SlaPolicy:
        """A policy pack shipped as data (``complaintflow/sla/packs``):
        ``"guide"``, ``"samr"``, ``"fca"``, ``"cfpb"``. ``variant`` picks one
        of the pack's variants (``fca``: ``"payment_services"``,
        ``"payment_services_holding"``); ``close_of_business`` replaces the
        pack's (``fca``: 17:00). See docs/policy-packs.md."""
        return pack_policy(pack_info(name), variant=variant, close_of_business=close_of_business)

    @staticmethod
    def pack_calendar(name: str, *, years: Iterable[int] | None = None) -> BusinessCalendar:
        """The business calendar a policy pack counts in (``years``: for packs
        whose holidays come from the ``holidays`` package)."""
        return pack_calendar(pack_info(name), years=None if years is None else list(years))


GUIDE_POLICY: Final = SlaPolicy(
    [
        # guide §3.3.1: preliminary verification within 24 hours of receipt
        SlaTarget("preliminary_verification", "receipt", "acknowledge", hours(24)),
        # guide §3.3.2: verification and classification within 48 hours
        SlaTarget("verification", "receipt", "classify", hours(48)),
        # guide §3.3.3: decision notified within 24 hours after verification
        SlaTarget("decision_notice", "classify", "decide", hours(24)),
        # guide §3.3.4: carried out within 24 hours after it takes effect
        SlaTarget("execution", "decision_effective", "execute", hours(24)),
        # guide §3.3.5: follow-up within 7 working days after execution
        SlaTarget("follow_up", "execute", "follow_up", working_days(7)),
    ],
    name="guide",
)
"""The guide's §3.3 time limits: the engine's default policy."""


# -- policy packs ------------------------------------------------------------

PACKS: Final = ("guide", "samr", "fca", "cfpb")
"""The packs shipped with the library."""
CLOSE_KIND: Final = "business_days_by_close"
"""A duration kind of packs only: ``n`` business days after the day of
receipt, ending at the close of business of the last one (FCA DISP 1.5.1R).
It becomes ``working_days(n - 1 + close/24h)``: a counted day is measured
from midnight, so the fraction of the n-th day ends at the close."""
_KINDS: Final = ("hours", "business_hours", "working_days", "calendar_days", CLOSE_KIND)
_TOP: Final = {"pack", "calendar", "targets", "variants", "retention"}
_PACK: Final = {"name", "title", "source", "close_of_business", "notes"}
_CAL: Final = {"preset", "holidays", "subdiv", "tz"}
_TARGET: Final = {"name", "cites", "start", "stop", "duration", "pause_in", "warn_at", "notes"}
_VARIANT: Final = {"description", "cites", "durations"}
_HHMM: Final = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class PackInfo:
    """A pack as read: its policy data, calendar spec, citations and variants."""

    def __init__(
        self,
        *,
        name: str,
        title: str,
        source: str,
        close_of_business: time | None,
        calendar: dict[str, str],
        targets: list[dict[str, Any]],
        variants: dict[str, dict[str, Any]],
        file: str,
    ) -> None:
        self.name = name
        self.title = title
        self.source = source
        self.close_of_business = close_of_business
        self.calendar = calendar
        self.targets = targets
        self.variants = variants
        self.file = file

    @property
    def cites(self) -> dict[str, str]:
        """Target name -> the provision it implements."""
        return {t["name"]: t["cites"] for t in self.targets}


def _duration(ck: Checker, table: str, value: Any) -> tuple[str, float] | None:
    raw = ck.table(table, "duration", value, required=True)
    if raw is None:
        return None
    if len(raw) != 1:
        ck.add(table, "duration", f"give exactly one of {', '.join(_KINDS)}")
        return None
    ((kind, amount),) = raw.items()
    if kind not in _KINDS:
        ck.add(table, f"duration.{kind}", f"unknown duration kind; one of {', '.join(_KINDS)}")
        return None
    n = ck.number(table, f"duration.{kind}", amount, minimum=0, exclusive_minimum=True)
    if n is None:
        return None
    if kind == CLOSE_KIND and n != int(n):
        ck.add(table, f"duration.{kind}", "must be a whole number of business days")
        return None
    return kind, n


def _pack_head(ck: Checker, data: dict[str, Any]) -> tuple[str, str, str, time | None]:
    """The ``[pack]`` table: name, title, source and close of business."""
    head = ck.table("pack", "", data.get("pack"), required=True) or {}
    ck.keys("pack", head, _PACK)
    name = ck.string("pack", "name", head.get("name"), required=True) or ""
    title = ck.string("pack", "title", head.get("title"), required=True) or ""
    source = ck.string("pack", "source", head.get("source"), required=True) or ""
    ck.string("pack", "notes", head.get("notes"))
    close = None
    cob = ck.string("pack", "close_of_business", head.get("close_of_business"))
    if cob is not None:
        m = _HHMM.match(cob)
        if m is None:
            ck.add("pack", "close_of_business", f"must be HH:MM, not {cob!r}")
        else:
            close = time(int(m.group(1)), int(m.group(2)))
    return name, title, source, close


def _pack_calendar_spec(ck: Checker, data: dict[str, Any]) -> dict[str, str]:
    cal = ck.table("calendar", "", data.get("calendar"), required=True) or {}
    ck.keys("calendar", cal, _CAL)
    calendar = {k: v for k in _CAL if (v := ck.string("calendar", k, cal.get(k))) is not None}
    if cal and sum(k in calendar for k in ("preset", "holidays", "tz")) < 1:
        ck.add("calendar", "", "give preset, holidays (a country code) or tz")
    return calendar


def _pack_target(ck: Checker, t: str, raw: dict[str, Any], close: time | None) -> dict[str, Any]:
    """One ``[[targets]]`` entry, checked (problems go to ``ck``)."""
    before = len(ck.problems)
    ck.keys(t, raw, _TARGET)
    entry = {
        "name": ck.string(t, "name", raw.get("name"), required=True),
        "cites": ck.string(t, "cites", raw.get("cites"), required=True),
        "start": ck.string(t, "start", raw.get("start"), required=True),
        "stop": ck.string(t, "stop", raw.get("stop"), required=True),
        "duration": _duration(ck, t, raw.get("duration")),
        "pause_in": raw.get("pause_in", ["awaiting_info"]),
        "warn_at": raw.get("warn_at", [0.5, 0.8]),
    }
    ck.string(t, "notes", raw.get("notes"))
    pause = entry["pause_in"]
    if not isinstance(pause, list) or not all(isinstance(s, str) for s in pause):
        ck.add(t, "pause_in", "must be a list of statuses")
    else:
        for j, s in enumerate(pause):
            if s not in Status.__members__:
                ck.add(t, f"pause_in[{j}]", f"unknown status {s!r}")
    warn = entry["warn_at"]
    if not isinstance(warn, list) or not all(
        isinstance(w, int | float) and not isinstance(w, bool) for w in warn
    ):
        ck.add(t, "warn_at", "must be a list of fractions")
    if entry["duration"] is not None and entry["duration"][0] == CLOSE_KIND and close is None:
        ck.add(t, "duration", f"{CLOSE_KIND} needs [pack] close_of_business")
    if len(ck.problems) == before:
        try:
            _target(entry, close)
        except ComplaintFlowError as e:
            ck.add(t, str(e).split(":", 1)[0], str(e).split(":", 1)[-1].strip())
    return entry


def _pack_variants(
    ck: Checker, data: dict[str, Any], names: list[Any]
) -> dict[str, dict[str, Any]]:
    variants: dict[str, dict[str, Any]] = {}
    raw_variants = ck.table("variants", "", data.get("variants"))
    for vname, raw in (raw_variants or {}).items():
        t = f"variants.{vname}"
        if not isinstance(raw, dict) or not raw:
            ck.add(t, "", "must be a non-empty table")
            continue
        ck.keys(t, raw, _VARIANT)
        ck.string(t, "description", raw.get("description"))
        ck.string(t, "cites", raw.get("cites"))
        durations: dict[str, tuple[str, float]] = {}
        for target, value in (
            ck.table(t, "durations", raw.get("durations"), required=True) or {}
        ).items():
            if target not in names:
                ck.add(f"{t}.durations", target, f"not a target of the pack ({', '.join(names)})")
                continue
            d = _duration(ck, f"{t}.durations.{target}", value)
            if d is not None:
                durations[target] = d
        variants[vname] = {**raw, "durations": durations}
    return variants


def load_pack(text: str, file: str) -> PackInfo:
    """Read and check one pack's TOML."""
    ck = Checker(file)
    data = parse_toml(text, file)
    ck.keys("", data, _TOP)
    name, title, source, close = _pack_head(ck, data)
    calendar = _pack_calendar_spec(ck, data)
    raw_targets = data.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        ck.add("targets", "", "missing: at least one [[targets]]")
        raw_targets = []
    targets: list[dict[str, Any]] = []
    for i, raw in enumerate(raw_targets):
        if not isinstance(raw, dict) or not raw:
            ck.add(f"targets[{i}]", "", "must be a non-empty table")
            continue
        targets.append(_pack_target(ck, f"targets[{i}]", raw, close))
    variants = _pack_variants(ck, data, [t["name"] for t in targets])
    ck.raise_if_any()
    return PackInfo(
        name=name,
        title=title,
        source=source,
        close_of_business=close,
        calendar=calendar,
        targets=targets,
        variants=variants,
        file=file,
    )


def _make_duration(kind: str, amount: float, close: time | None) -> Duration:
    if kind == CLOSE_KIND:
        assert close is not None
        fraction = (close.hour * 60 + close.minute) / (24 * 60)
        return Duration("working_days", int(amount) - 1 + fraction)
    value: int | float = int(amount) if float(amount).is_integer() else amount
    return Duration(kind, value)  # type: ignore[arg-type]


def _target(entry: dict[str, Any], close: time | None) -> SlaTarget:
    kind, amount = entry["duration"]
    return SlaTarget(
        entry["name"],
        entry["start"],
        entry["stop"],
        _make_duration(kind, amount, close),
        frozenset(Status(s) for s in entry["pause_in"]),
        tuple(entry["warn_at"]),
    )


@cache
def pack_info(name: str) -> PackInfo:
    """The shipped pack ``name``, read and checked."""
    if name not in PACKS:
        raise InvalidInput.field("name", f"unknown policy pack {name!r}; known: {', '.join(PACKS)}")
    path = resources.files("complaintflow.sla").joinpath("packs", f"{name}.toml")
    return load_pack(path.read_text(encoding="utf-8"), f"complaintflow/sla/packs/{name}.toml")


def pack_policy(
    info: PackInfo, *, variant: str | None = None, close_of_business: time | None = None
) -> SlaPolicy:
    """The pack's policy, in one of its variants, with the close of business given."""
    close = close_of_business or info.close_of_business
    if close_of_business is not None and not isinstance(close_of_business, time):
        raise InvalidInput.field("close_of_business", "must be a datetime.time")
    overrides: dict[str, tuple[str, float]] = {}
    name = info.name
    if variant is not None:
        if variant not in info.variants:
            known = ", ".join(sorted(info.variants)) or "none"
            raise InvalidInput.field(
                "variant", f"pack {info.name!r} has no variant {variant!r}; its variants: {known}"
            )
        overrides = info.variants[variant]["durations"]
        name = f"{info.name}/{variant}"
    targets = []
    for entry in info.targets:
        if entry["name"] in overrides:
            entry = {**entry, "duration": overrides[entry["name"]]}
        targets.append(_target(entry, close))
    return SlaPolicy(targets, name=name)


def pack_calendar(info: PackInfo, *, years: list[int] | None = None) -> BusinessCalendar:
    """The calendar the pack counts in: a bundled preset, public holidays from
    the ``holidays`` package (``years``: the years to load, this year and the
    next four when omitted), or weekends only in a time zone."""
    spec = info.calendar
    if "preset" in spec:
        return BusinessCalendar.preset(spec["preset"])
    if "holidays" in spec:
        if years is None:
            this = date.today().year
            years = list(range(this - 1, this + 5))
        return BusinessCalendar.from_holidays(
            spec["holidays"], subdiv=spec.get("subdiv"), years=years, tz=spec.get("tz")
        )
    return BusinessCalendar(spec["tz"])


def check_pack_file(path: str | Path) -> list[str]:
    """The problems of a pack file as lines (empty when it is valid)."""
    p = Path(path)
    try:
        load_pack(p.read_text(encoding="utf-8"), str(p))
    except RuleFileError as e:
        return [str(x) for x in e.problems]
    except (OSError, UnicodeDecodeError) as e:
        return [f"{p}: (top level): cannot read the file: {e}"]
    return []
