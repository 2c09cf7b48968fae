"""Compact forms the memory store keeps, so that a complaint costs little
memory however long its trail:

* :class:`EventPacker`: an event as a tuple of its values (the complaint id
  is the trail's key), its data as a flat tuple of keys and values, and the
  larger mappings in it (the complaint as received, for one) packed
  with :mod:`marshal`, which round-trips the JSON types exactly; smaller
  ones (the SLA policy's, which every complaint under it shares) are kept
  as they are. Reading the trail builds the events again.
* :class:`KeyIndex`: the duplicate screen's keys (``match_keys``) per
  complainant: a complainant's only complaint as its id, its text's keys
  (the complaint's own tuple) and its order's key, a dictionary from each
  key to its complaints once there are more.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, Final

from complaintflow._base import fast_from_dict
from complaintflow.models import Event

__all__ = ["EventPacker", "KeyIndex", "PackedEvent"]

_FIELDS: Final = tuple(Event.model_fields)
_REST: Final = _FIELDS[1:]  # all but complaint_id, in order
_DATA: Final = _REST.index("data")
_BEFORE: Final = itemgetter(*_REST[:_DATA])
_AFTER: Final = itemgetter(*_REST[_DATA + 1 :])
_PACK_FROM: Final = 4
"""Mappings of at least this many entries in an event's data are packed."""

PackedEvent = tuple[Any, ...]


class Blob(bytes):
    """A value of an event's data, packed by :mod:`marshal`."""

    __slots__ = ()


class EventPacker:
    """Packs events into tuples and builds them again."""

    def pack(self, e: Event) -> PackedEvent:
        """``e`` without its complaint id, its data packed."""
        d = e.__dict__
        data = d["data"]
        return (*_BEFORE(d), self._data(data) if data else None, *_AFTER(d))

    def _data(self, data: dict[str, Any]) -> tuple[Any, ...]:
        flat: list[Any] = []
        for k, v in data.items():
            flat += (k, self._value(v) if type(v) is dict and len(v) >= _PACK_FROM else v)
        return tuple(flat)

    @staticmethod
    def _value(v: dict[str, Any]) -> object:
        try:
            return Blob(marshal.dumps(v))
        except ValueError:  # a type marshal cannot write: kept as it is
            return v

    @staticmethod
    def unpack(complaint_id: str, row: PackedEvent) -> Event:
        """The event ``row`` packs."""
        values: dict[str, Any] = {"complaint_id": complaint_id}
        values.update(zip(_REST, row, strict=True))
        flat = row[_DATA]
        data: dict[str, Any] = {}
        if flat is not None:
            for k, v in zip(flat[::2], flat[1::2], strict=True):
                data[k] = marshal.loads(v) if type(v) is Blob else v
        values["data"] = data
        return fast_from_dict(Event, values)


class KeyIndex:
    """The complaints of each complainant under each of their match keys."""

    def __init__(self) -> None:
        self._by: dict[str, _One | dict[str, str | list[str]]] = {}

    def add(
        self, complainant: str, complaint_id: str, keys: Sequence[str], extra: str | None = None
    ) -> None:
        """File ``complaint_id`` of ``complainant`` under ``keys`` and ``extra``."""
        entry = self._by.get(complainant)
        if entry is None:
            self._by[complainant] = (complaint_id, keys, extra)
            return
        if type(entry) is tuple:
            first, first_keys, first_extra = entry
            entry = {}
            _file(entry, first, _all(first_keys, first_extra))
            self._by[complainant] = entry
        _file(entry, complaint_id, _all(keys, extra))  # type: ignore[arg-type]

    def remove(self, complainant: str, complaint_id: str, keys: Sequence[str]) -> None:
        """Take ``complaint_id`` of ``complainant`` out from under ``keys``."""
        entry = self._by.get(complainant)
        if entry is None:
            return
        if type(entry) is tuple:
            if entry[0] == complaint_id:
                left = tuple(k for k in _all(entry[1], entry[2]) if k not in keys)
                if left:
                    self._by[complainant] = (complaint_id, left, None)
                else:
                    del self._by[complainant]
            return
        assert isinstance(entry, dict)
        for key in keys:
            have = entry.get(key)
            if have == complaint_id:
                del entry[key]
            elif isinstance(have, list) and complaint_id in have:
                have.remove(complaint_id)
                if not have:
                    del entry[key]
        if not entry:
            del self._by[complainant]

    def __contains__(self, complainant: object) -> bool:
        """Whether ``complainant`` has a complaint filed."""
        return complainant in self._by

    def ids(self, complainant: str, key: str) -> Iterable[str]:
        """The complaints of ``complainant`` filed under ``key``, oldest first."""
        entry = self._by.get(complainant)
        if entry is None:
            return ()
        if type(entry) is tuple:
            return (entry[0],) if key == entry[2] or key in entry[1] else ()
        found = entry.get(key)  # type: ignore[union-attr]
        if found is None:
            return ()
        return (found,) if type(found) is str else found


_One = tuple[str, Sequence[str], str | None]
"""A complainant's only complaint: its id, its keys and one more key."""


def _all(keys: Sequence[str], extra: str | None) -> Sequence[str]:
    return keys if extra is None else (*keys, extra)


def _file(entry: dict[str, str | list[str]], complaint_id: str, keys: Sequence[str]) -> None:
    for key in keys:
        have = entry.get(key)
        if have is None:
            entry[key] = complaint_id
        elif isinstance(have, str):
            entry[key] = [have, complaint_id]
        else:
            have.append(complaint_id)
