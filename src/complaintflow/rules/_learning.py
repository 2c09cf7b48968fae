"""The triage queue and handlers' classifications as training data.

- :func:`triage_queue`: open complaints the classifier left without a
  category (``needs_triage``), oldest first, from a store's ``find``.
- :func:`labelled_examples`: every complaint a handler classified (its last
  ``classify`` event), as labelled data; :func:`write_labelled` writes them
  in the TSV format ``complaintflow rules train`` reads.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from complaintflow.errors import InvalidInput
from complaintflow.models import Complaint, Event
from complaintflow.rules._model import ModelError

__all__ = ["LabelledExample", "labelled_examples", "triage_queue", "write_labelled"]

PAGE: Final = 500


class _Finds(Protocol):
    def find(
        self,
        *,
        open_only: bool = False,
        needs_triage: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Complaint]: ...

    def events(self, complaint_id: str) -> list[Event]: ...


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """A complaint's text and the category a handler gave it."""

    complaint_id: str
    category: str
    subject: str
    description: str


def _pages(store: _Finds, *, open_only: bool, page: int) -> Iterator[Complaint]:
    if not isinstance(page, int) or page < 1:
        raise InvalidInput(f"page: must be a positive integer, not {page!r}")
    offset = 0
    while True:
        batch = store.find(open_only=open_only, limit=page, offset=offset)
        yield from batch
        if len(batch) < page:
            return
        offset += page


def needs_triage(c: Complaint) -> bool:
    """Whether ``c`` still waits for a handler to choose its category."""
    return c.category is None and c.classification is not None and c.classification.needs_triage


def triage_queue(store: _Finds, *, limit: int = 100, page: int = PAGE) -> list[Complaint]:
    """Up to ``limit`` open complaints that need triage, oldest received
    first: each has ``classification.candidates`` for the handler.

    ``store`` is a :class:`~complaintflow.stores.Store` (``engine.store``);
    the store finds them by its index (``find(needs_triage=True)``), so the
    cost follows the queue, not the store. ``page`` is kept for callers
    that pass it and must be a positive integer."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidInput(f"limit: must be a positive integer, not {limit!r}")
    if not isinstance(page, int) or page < 1:
        raise InvalidInput(f"page: must be a positive integer, not {page!r}")
    found = store.find(open_only=True, needs_triage=True, limit=limit)
    return [c for c in found if needs_triage(c)]


def labelled_examples(store: _Finds, *, page: int = PAGE) -> Iterator[LabelledExample]:
    """Every complaint with a ``classify`` event, labelled with the category
    of its last one: what handlers decided, ready for retraining."""
    for c in _pages(store, open_only=False, page=page):
        label = None
        for e in store.events(c.id):
            if e.type == "classify" and isinstance(e.data.get("category"), str):
                label = e.data["category"]
        if label is not None:
            yield LabelledExample(c.id, label, c.subject, c.description)


def _clean(text: str) -> str:
    return " ".join(text.split())


def write_labelled(examples: Iterable[LabelledExample], path: str | Path) -> int:
    """Write ``examples`` as a TSV file (``category``, ``subject``,
    ``description``, ``complaint_id``) that ``complaintflow rules train``
    reads; returns how many. Tabs and line breaks become spaces."""
    n = 0
    try:
        with Path(path).open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            w.writerow(["category", "subject", "description", "complaint_id"])
            for ex in examples:
                w.writerow(
                    [ex.category, _clean(ex.subject), _clean(ex.description), ex.complaint_id]
                )
                n += 1
    except OSError as e:
        raise ModelError(f"{path}: cannot write the file: {e}") from None
    return n
