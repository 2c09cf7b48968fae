"""A clock tests can move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A controllable clock for ``Engine(clock=...)``.

    >>> from datetime import datetime, timedelta, UTC
    >>> clock = FakeClock(datetime(2026, 3, 9, 2, tzinfo=UTC))
    >>> clock.advance(hours=24)
    datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.timezone.utc)
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 9, tzinfo=UTC)
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (aware)."""
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = when
        return self.now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``."""
        step = delta if delta is not None else timedelta(**kwargs)
        # real elapsed time: wall-clock arithmetic would skip or repeat DST hours
        self.now = (self.now.astimezone(UTC) + step).astimezone(self.now.tzinfo)
        return self.now
