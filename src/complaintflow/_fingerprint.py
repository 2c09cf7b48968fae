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
from typing import Final

__all__ = ["BANDS", "PREFIX", "ROWS", "comparable", "fingerprint"]

PREFIX: Final = 2000
"""How many normalised characters of a text are fingerprinted and compared."""

BANDS: Final = 8
"""How many keys a fingerprint has (bands of the MinHash signature)."""

ROWS: Final = 3
"""How many MinHash values make one band."""

_SHINGLE: Final = 3
_P: Final = (1 << 61) - 1  # a Mersenne prime: the hash family's modulus
# (a, b) of the hash family h(x) = (a * x + b) mod P, one per signature row:
# fixed, so that fingerprints written by one process match another's
_SEEDS: Final = tuple(
    (
        zlib.crc32(f"a{i}".encode()) * 2654435761 % _P | 1,
        zlib.crc32(f"b{i}".encode()) * 40503 % _P,
    )
    for i in range(BANDS * ROWS)
)


def comparable(text: str) -> str:
    """The first :data:`PREFIX` characters of ``text`` after normalisation
    (NFKC, case-folded, white space removed); reads a bounded prefix only.

    >>> comparable("  ＫＥＴＴＬＥ  leaks！ ")
    'kettleleaks!'
    """
    head = text[: PREFIX * 4]  # NFKC can merge characters: keep a margin
    return "".join(unicodedata.normalize("NFKC", head).casefold().split())[:PREFIX]


def fingerprint(text: str) -> tuple[str, ...]:
    """The :data:`BANDS` keys of a comparable text (see :func:`comparable`);
    alike texts share at least one key with high probability.

    >>> len(fingerprint(comparable("The kettle leaks")))
    8
    >>> fingerprint("kettleleaks") == fingerprint(comparable("KETTLE leaks"))
    True
    """
    if len(text) < _SHINGLE:
        grams = {text}
    else:
        grams = {text[i : i + _SHINGLE] for i in range(len(text) - _SHINGLE + 1)}
    hashes = [zlib.crc32(g.encode()) for g in grams]
    signature = [min((a * x + b) % _P for x in hashes) for a, b in _SEEDS]
    keys = []
    for band in range(BANDS):
        rows = signature[band * ROWS : (band + 1) * ROWS]
        digest = zlib.crc32(",".join(map(str, rows)).encode())
        keys.append(f"t{band}:{digest:08x}")
    return tuple(keys)
