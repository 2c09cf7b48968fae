"""Text normalisation for matching: case, full-/half-width forms, whitespace."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["Term", "compact", "has_cjk", "normalize"]

_ENDINGS: Final = r"(?:s|es|d|ed|ing)?(?![0-9a-z])"
_CJK: Final = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalize(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation become half-width),
    case-folded, every run of whitespace one space, stripped.

    >>> normalize("  ＡＢＣ　退款\\n Refund ")
    'abc 退款 refund'
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def compact(normalized: str) -> str:
    """The normalised text without spaces: Chinese terms match across them."""
    return normalized.replace(" ", "")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a CJK character (such terms match without word boundaries)."""
    return _CJK.search(text) is not None


class Term:
    """A keyword or phrase as a rule file gives it, ready to match.

    A term with a CJK character matches anywhere in the text with its spaces
    removed. Any other term matches whole words, with an optional English
    ending (``s``, ``es``, ``d``, ``ed``, ``ing``): ``refund`` matches
    "refunded" but ``app`` matches neither "happy" nor "appointment". A term
    ending in ``*`` matches as a prefix: ``infring*`` matches
    "infringement". The term is escaped, never read as a pattern."""

    __slots__ = ("cjk", "regex", "text")

    def __init__(self, raw: str) -> None:
        self.text = normalize(raw)
        self.cjk = has_cjk(self.text)
        self.regex: re.Pattern[str] | None = None
        if not self.cjk:
            prefix = self.text.endswith("*")
            body = re.escape(self.text.rstrip("*").rstrip())
            tail = "" if prefix else _ENDINGS
            self.regex = re.compile(rf"(?<![0-9a-z]){body}{tail}")

    def found_in(self, normalized: str, compacted: str) -> bool:
        """Whether the term occurs in a text given in both forms."""
        if self.regex is None:
            return compact(self.text) in compacted
        return self.regex.search(normalized) is not None

    def __repr__(self) -> str:
        return f"Term({self.text!r})"
