"""Rule-file patterns that cannot make a submit slow.

Two defences, both always on:

* **At load**, a pattern is refused when it has a construct that makes a
  backtracking engine take exponential time, or that a linear-time engine
  does not support: a quantifier inside a quantified group (``(a+)+``,
  ``(.*)*``, ``(a*b)*``), a quantified alternation whose branches can start
  with the same character (``(a|a)*``, ``(a|ab)*c``), repeats in a row
  that can take the same characters (``.*.*x``), a back-reference
  (``(a)\\1``) or a look-around (``(?=...)``). The verdict does not depend
  on which engine is installed: a file valid on one machine is valid on all.
* **At match time**, patterns run on `google-re2 <https://pypi.org/project/google-re2/>`_
  (the optional extra ``re2``: ``pip install "complaintflow[re2]"``) when it
  is installed: matching is linear in the text. Without it they run on
  :mod:`re`, where the load-time check rules out exponential backtracking.
  Either way a pattern searches only the first :data:`MAX_PATTERN_TEXT`
  characters of a complaint's text, so the remaining polynomial worst case
  of :mod:`re` (``.*x`` is quadratic) stays within milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final, Protocol

try:  # the optional linear-time engine
    import re2 as _re2  # type: ignore[import-not-found, import-untyped, unused-ignore]
except ImportError:  # pragma: no cover - exercised where the extra is missing
    _re2 = None

from re import _compiler  # type: ignore[attr-defined]
from re import _parser as _sre  # type: ignore[attr-defined]

_sre_compile = _compiler.compile

__all__ = ["ENGINE", "MAX_PATTERN_TEXT", "CompiledPattern", "compile_pattern", "unsafe_reason"]

MAX_PATTERN_TEXT: Final = 2_000
"""How many characters of a complaint's text a pattern searches."""

ENGINE: Final = "re2" if _re2 is not None else "re"
"""The engine patterns run on: ``re2`` (linear time) or ``re`` (the fallback)."""

_REPEATS: Final = frozenset(
    {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)}
)


class CompiledPattern(Protocol):
    """What the rules use of a compiled pattern (``re`` and ``re2`` alike)."""

    @property
    def pattern(self) -> str: ...

    def search(self, string: str, pos: int = ..., endpos: int = ...) -> Any: ...


def _items(tree: Any) -> Iterator[tuple[Any, Any]]:
    """Every (op, arg) of a parsed pattern, depth first."""
    for op, arg in tree:
        yield op, arg
        for sub in _children(op, arg):
            yield from _items(sub)


def _children(op: Any, arg: Any) -> list[Any]:
    if op in _REPEATS:
        return [arg[2]]
    if op is _sre.SUBPATTERN:
        return [arg[-1]]
    if op is _sre.BRANCH:
        return list(arg[1])
    if op is _sre.ASSERT or op is _sre.ASSERT_NOT:
        return [arg[1]]
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return [arg]
    if op is _sre.GROUPREF_EXISTS:
        return [b for b in arg[1:] if b is not None]
    return []


def _first(tree: Any) -> str | None:
    """The literal character a branch must start with, or ``None`` when it
    may start with more than one (a class, a repeat, an empty branch)."""
    for op, arg in tree:
        if op is _sre.LITERAL:
            return chr(arg)
        if op is _sre.SUBPATTERN:
            return _first(arg[-1])
        if op is _sre.AT:
            continue
        return None
    return None


def _overlapping(branches: list[Any]) -> bool:
    firsts = [_first(b) for b in branches]
    known = [f for f in firsts if f is not None]
    return len(known) < len(firsts) or len(set(known)) < len(known)


_PROBES: Final = tuple(chr(i) for i in range(128)) + tuple("中元é٣\u3000\u00a0Ωж😀，")


def _chars(item: Any) -> frozenset[str]:
    """The probe characters ``item`` (a parsed pattern) can start with."""
    try:
        body = _sre_compile(item)
    except Exception:  # pragma: no cover - a fragment re cannot compile alone
        return frozenset(_PROBES)
    return frozenset(c for c in _PROBES if (m := body.match(c)) is not None and m.end() == 1)


def _sequence(tree: Any) -> Iterator[tuple[Any, Any]]:
    """The items of a sequence, groups opened in place."""
    for op, arg in tree:
        if op is _sre.SUBPATTERN:
            yield from _sequence(arg[-1])
        else:
            yield op, arg


def _overlapping_repeats(tree: Any) -> bool:
    """Whether two repeats in a row can take the same characters with
    nothing between them that only one could (``.*.*x``, ``a*a*b``,
    ``\\w+\\d+``): polynomial backtracking of a high degree."""
    open_sets: list[frozenset[str]] = []
    for op, arg in _sequence(tree):
        if op is _sre.BRANCH:
            if any(_overlapping_repeats(b) for b in arg[1]):
                return True
            continue
        if op is _sre.AT:
            continue
        one = _sre.SubPattern(tree.state, [(op, arg)])
        if op in _REPEATS and arg[1] > 1:
            chars = _chars(_sre.SubPattern(tree.state, list(arg[2])))
            if any(chars & prior for prior in open_sets):
                return True
            if arg[0] >= 1:  # a mandatory repeat separates like a character
                open_sets = [prior for prior in open_sets if chars <= prior]
            open_sets.append(chars)
            continue
        chars = _chars(one)
        if op in _REPEATS or not chars:
            continue  # optional or zero-width: separates nothing
        open_sets = [prior for prior in open_sets if chars <= prior]
    return False


def unsafe_reason(text: str) -> str | None:
    """Why ``text`` is not a safe rule pattern, or ``None`` when it is.
    ``text`` must already compile with :mod:`re`."""
    tree = _sre.parse(text)
    for op, arg in _items(tree):
        if op is _sre.GROUPREF or op is _sre.GROUPREF_EXISTS:
            return "back-references are not allowed (no linear-time match)"
        if op is _sre.ASSERT or op is _sre.ASSERT_NOT:
            return "look-ahead and look-behind are not allowed (no linear-time match)"
        if op not in _REPEATS or arg[1] <= 1:
            continue
        for inner_op, inner_arg in _items(arg[2]):
            if inner_op in _REPEATS and inner_arg[1] > 1:
                return (
                    "nested quantifiers (a repeated group that itself repeats, "
                    "like (a+)+) can take exponential time"
                )
            if inner_op is _sre.BRANCH and _overlapping(list(inner_arg[1])):
                return (
                    "a repeated alternation whose branches can start alike "
                    "(like (a|ab)*) can take exponential time"
                )
    if _overlapping_repeats(tree):
        return (
            "repeats in a row that can take the same characters (like .*.*x) "
            "can take polynomial time of a high degree"
        )
    return None


def compile_pattern(text: str) -> CompiledPattern:
    """``text`` compiled on :data:`ENGINE`. Raises :class:`re.error` when it
    is malformed; check :func:`unsafe_reason` first."""
    compiled = re.compile(text, re.ASCII)
    if _re2 is None:  # pragma: no cover - exercised where the extra is missing
        return compiled
    try:
        return _re2.compile(text)  # type: ignore[no-any-return]
    except Exception:  # pragma: no cover - re2 refuses what the check allows
        return compiled
