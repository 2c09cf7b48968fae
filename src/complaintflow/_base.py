"""The base of every public model: frozen pydantic models whose validation
errors surface as :class:`~complaintflow.errors.InvalidInput`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from complaintflow.errors import InvalidInput

REDACTED = "[redacted]"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
"""Free text that must say something: stripped, 1 to 10,000 characters."""
LongText = Annotated[str, StringConstraints(max_length=100_000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""An identifier: stripped, 1 to 200 characters."""


def invalid_input(error: ValidationError, prefix: str = "") -> InvalidInput:
    """Turn a pydantic error into an :class:`InvalidInput` naming each field."""
    problems: list[dict[str, Any]] = []
    for e in error.errors(include_url=False):
        loc = ".".join(str(p) for p in e["loc"])
        field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or "<input>")
        problems.append({"field": field, "reason": e["msg"]})
    message = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
    return InvalidInput(message or str(error), problems)


class Model(BaseModel):
    """Frozen, strict-about-unknown-keys model; bad input raises InvalidInput."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise invalid_input(e) from None

    # Tell pydantic this __init__ only wraps the base one: nested and
    # TypeAdapter validation then skip it and report full field paths.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]
