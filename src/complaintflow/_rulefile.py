"""Errors of rule files and policy packs: each names the file, the table and the key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any, Final

from complaintflow.errors import InvalidInput

__all__ = ["MAX_DEPTH", "MAX_NUMBER", "Problem", "RuleFileError", "parse_toml"]

MAX_DEPTH: Final = 16
"""How deeply tables and arrays may nest in a rule file or policy pack."""
MAX_NUMBER: Final = 1_000_000
"""The largest number a rule file or pack may give where no smaller bound
applies (hours, days, weights, limits): larger ones only overflow later."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a rule file."""

    file: str
    table: str
    key: str
    reason: str

    def __str__(self) -> str:
        where = f"[{self.table}]" if self.table else "(top level)"
        key = f" {self.key}" if self.key else ""
        return f"{self.file}: {where}{key}: {self.reason}"


class RuleFileError(InvalidInput):
    """A rule file (or policy pack) is not valid. ``problems`` lists every
    mistake found, each naming the file, the table and the key; ``errors``
    has the same as dicts (``file``, ``table``, ``key``, ``field``, ``reason``)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        errors: list[dict[str, Any]] = [
            {
                "file": p.file,
                "table": p.table,
                "key": p.key,
                "field": ".".join(x for x in (p.table, p.key) if x),
                "reason": p.reason,
            }
            for p in self.problems
        ]
        super().__init__("\n".join(str(p) for p in self.problems), errors)


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            deepest = max(deepest, d)
            if d <= MAX_DEPTH:
                stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """``text`` parsed as TOML, or :class:`RuleFileError` naming ``file``:
    not TOML, or nested deeper than :data:`MAX_DEPTH` (which would exhaust
    the parser's recursion)."""
    ck = Checker(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        ck.add("", "", f"not valid TOML: {e}")
    except RecursionError:
        ck.add("", "", f"not valid TOML: nested deeper than {MAX_DEPTH} levels")
    else:
        if _depth(data) > MAX_DEPTH:
            ck.add("", "", f"tables and arrays nested deeper than {MAX_DEPTH} levels")
        else:
            return data
    raise RuleFileError(ck.problems)


class Checker:
    """Collects the problems of one file while it is read."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, table: str, key: str, reason: str) -> None:
        self.problems.append(Problem(self.file, table, key, reason))

    def raise_if_any(self) -> None:
        if self.problems:
            raise RuleFileError(self.problems)

    # -- typed getters: on a mistake, record it and return None ------------

    def keys(self, table: str, data: dict[str, Any], allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.add(table, key, f"unknown key; allowed: {', '.join(sorted(allowed))}")

    def table(self, table: str, key: str, value: Any, *, required: bool = False) -> Any:
        if value is None:
            if required:
                self.add(table, key, "missing")
            return None
        if not isinstance(value, dict):
            self.add(table, key, f"must be a table, not {_kind(value)}")
            return None
        if not value:
            self.add(table, key, "empty table")
            return None
        return value

    def string(self, table: str, key: str, value: Any, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.add(table, key, "missing")
            return None
        if not isinstance(value, str):
            self.add(table, key, f"must be a string, not {_kind(value)}")
            return None
        if not value.strip():
            self.add(table, key, "must not be empty")
            return None
        return value

    def strings(self, table: str, key: str, value: Any) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            self.add(table, key, f"must be a list of strings, not {_kind(value)}")
            return None
        if not value:
            self.add(table, key, "empty list")
            return None
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                what = _kind(item) if not isinstance(item, str) else "an empty string"
                self.add(table, f"{key}[{i}]", f"must be a non-empty string, not {what}")
            else:
                out.append(item)
        return tuple(out) if len(out) == len(value) else None

    def number(
        self,
        table: str,
        key: str,
        value: Any,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
        integer: bool = False,
    ) -> float | None:
        if value is None:
            return None
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            self.add(
                table, key, f"must be {'an integer' if integer else 'a number'}, not {_kind(value)}"
            )
            return None
        v = float(value)
        if v != v or v in (float("inf"), float("-inf")):
            self.add(table, key, "must be finite")
            return None
        if minimum is not None and (v <= minimum if exclusive_minimum else v < minimum):
            op = ">" if exclusive_minimum else ">="
            self.add(table, key, f"must be {op} {minimum:g}, not {value!r}")
            return None
        top = MAX_NUMBER if maximum is None else maximum
        if v > top:
            self.add(table, key, f"must be <= {top:g}, not {value!r}")
            return None
        return v

    def boolean(self, table: str, key: str, value: Any) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            self.add(table, key, f"must be true or false, not {_kind(value)}")
            return None
        return value


def _kind(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)
