"""A complaint text's bounded, comparable form and its fingerprint.

The duplicate screen compares a new complaint with the open complaints of
the same complainant. Both steps cost a bounded amount whatever the text's
length or the complainant's history:

* :func:`comparable` keeps the first :data:`PREFIX` characters of the
  normalised text (NFKC, case-folded, white space removed), so that any
  comparison reads at most that much;
* :func:`fingerprint` turns that prefix into :data:`BANDS` keys, MinHash
  signatures of its character trigrams cut into bands (locality-sensitive
  hashing): two texts whose trigram sets are mostly alike share at least one
  key with high probability, two unrelated texts almost never. A store
  indexes the keys, so finding the candidates is one indexed look-up.

The module reads only the standard library; the stores and the screens
both use it.
"""

from __future__ import annotations

import unicodedata
import zlib
from functools import lru_cache
from hashlib import shake_128
from typing import Final

__all__ = ["BANDS", "PREFIX", "ROWS", "comparable", "fingerprint"]

PREFIX: Final = 2000
"""How many normalised characters of a text are fingerprinted and compared."""

BANDS: Final = 10
"""How many keys a fingerprint has (bands of the MinHash signature)."""

ROWS: Final = 5
"""How many MinHash values make one band."""

_SHINGLE: Final = 3
_WIDTH: Final = BANDS * ROWS
_EMPTY: Final = 1 << 32  # a bin no trigram fell into
_MIX: Final = 0x9E3779B1  # odd: multiplying by it permutes the 32-bit hashes


def _densify(signature: list[int]) -> None:
    """Fill each empty bin from the next bin that is not (circularly), told
    apart by the distance: short texts leave bins empty, and two texts must
    not match by their empty bins alone."""
    full = [i for i, v in enumerate(signature) if v != _EMPTY]
    if not full or len(full) == len(signature):
        return
    width = len(signature)
    for i in range(width):
        if signature[i] == _EMPTY:
            j = next((k for k in full if k > i), full[0])
            signature[i] = signature[j] + ((j - i) % width) * _EMPTY


def comparable(text: str) -> str:
    """The first :data:`PREFIX` characters of ``text`` after normalisation
    (NFKC, case-folded, white space removed); reads a bounded prefix only.

    >>> comparable("  ＫＥＴＴＬＥ  leaks！ ")
    'kettleleaks!'
    """
    return _comparable(text[: PREFIX * 4])  # NFKC can merge characters: keep a margin


@lru_cache(maxsize=64)
def _comparable(head: str) -> str:
    # remembered: a submit's screens and its save read the same text
    return "".join(unicodedata.normalize("NFKC", head).casefold().split())[:PREFIX]


def fingerprint(text: str) -> tuple[str, ...]:
    """The :data:`BANDS` keys of a comparable text (see :func:`comparable`);
    alike texts share at least one key with high probability.

    >>> len(fingerprint(comparable("The kettle leaks")))
    10
    >>> fingerprint("kettleleaks") == fingerprint(comparable("KETTLE leaks"))
    True
    """
    return _fingerprint(text)


@lru_cache(maxsize=256)
def _fingerprint(text: str) -> tuple[str, ...]:
    # remembered: a submit's screen and its save fingerprint the same text
    if len(text) < _SHINGLE:
        grams = {text}
    else:
        grams = {text[i : i + _SHINGLE] for i in range(len(text) - _SHINGLE + 1)}
    # one-permutation MinHash: each trigram's hash falls into one of the
    # signature's bins, and each bin keeps the least hash it received
    signature = [_EMPTY] * _WIDTH
    for g in grams:
        h = (zlib.crc32(g.encode()) * _MIX) & 0xFFFFFFFF
        v, b = divmod(h, _WIDTH)
        if v < signature[b]:
            signature[b] = v
    _densify(signature)
    keys = []
    for band in range(BANDS):
        cells = signature[band * ROWS : (band + 1) * ROWS]
        digest = shake_128(",".join(map(str, cells)).encode()).hexdigest(6)
        keys.append(f"t{band}:{digest}")
    return tuple(keys)
