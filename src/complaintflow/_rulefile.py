"""Errors of rule files and policy packs: each names the file, the table and the key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from complaintflow.errors import InvalidInput

__all__ = ["Problem", "RuleFileError"]


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
        if maximum is not None and v > maximum:
            self.add(table, key, f"must be <= {maximum:g}, not {value!r}")
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
