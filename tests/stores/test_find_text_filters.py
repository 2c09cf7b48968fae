"""The id filters of ``find`` (complainant, respondent, category, handler)
refuse control characters and lone surrogates alike on every store, with
InvalidInput naming the filter: no stored id holds one, SQLite and
PostgreSQL could not encode them (a UnicodeEncodeError or a NUL error)."""

from __future__ import annotations

import pytest
from store_helpers import StoreFactory, engine_on

import complaintflow as cf

BAD = ["\x00", "\ud800", "\x1b", "\n"]


@pytest.mark.parametrize("name", ["complainant", "respondent", "category", "handler"])
@pytest.mark.parametrize("char", BAD)
def test_an_id_filter_with_a_control_character_is_refused(
    opener: StoreFactory, name: str, char: str
) -> None:
    engine = engine_on(opener())
    engine.submit(
        {"channel": "web", "complainant": {"id": "u-1"}, "subject": "s"}, actor=cf.Actor.system()
    )
    reason = f"{name}: contains the control character U+{ord(char):04X} at position 1"
    for find in (engine.find, engine.store.find):
        with pytest.raises(cf.InvalidInput) as info:
            find(**{name: f"u{char}1"})
        assert str(info.value) == reason
    assert [c.complainant.id for c in engine.find(complainant="u-1")] == ["u-1"]
