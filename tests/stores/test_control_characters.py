"""NUL and other control characters are refused the same way on every
store: by the models, before any store sees them (PostgreSQL could not
hold a NUL; memory and SQLite could). The error names the field and the
character, never the text."""

from __future__ import annotations

from typing import Any

import pytest
from store_helpers import StoreFactory, engine_on

import complaintflow as cf

SYSTEM = cf.Actor.system()
CHARS = ["\x00", "\x08", "\x1b", "\x7f", "\x9b"]


@pytest.mark.parametrize("char", CHARS)
def test_every_store_refuses_control_characters_alike(opener: StoreFactory, char: str) -> None:
    engine = engine_on(opener())
    secret = "+86 139 0000 1111"
    new: dict[str, Any] = {
        "channel": "web",
        "complainant": {"id": "u-1", "contact": secret},
        "subject": f"broken{char}kettle",
    }
    with pytest.raises(cf.InvalidInput) as info:
        engine.submit(new, actor=SYSTEM)
    assert info.value.errors == [
        {
            "field": "subject",
            "reason": f"contains the control character U+{ord(char):04X} at position 6",
        }
    ]
    assert secret not in str(info.value)
    assert engine.store.find() == []
    c = engine.submit(new | {"subject": "broken kettle"}, actor=SYSTEM)
    with pytest.raises(cf.InvalidInput):
        engine.handle(c.id, {"type": "note", "actor": SYSTEM, "text": f"a{char}b"})
    assert engine.get(c.id) == c
    assert [e.type for e in engine.history(c.id)] == ["submit"]


def test_every_store_keeps_tabs_and_line_breaks(opener: StoreFactory) -> None:
    engine = engine_on(opener())
    text = "first line\r\n\tsecond line\n"
    c = engine.submit(
        {"channel": "web", "complainant": {"id": "u-1"}, "subject": "s", "description": text},
        actor=SYSTEM,
    )
    assert engine.view(c.id, actor=SYSTEM).description == text  # from the vault
