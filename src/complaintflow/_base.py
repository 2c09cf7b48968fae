"""The base of every public model: frozen pydantic models whose validation
errors surface as :class:`~complaintflow.errors.InvalidInput`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from complaintflow.errors import InvalidInput

REDACTED = "[redacted]"


def utc(value: datetime) -> datetime:
    """``value`` in UTC: compare aware datetimes this way, since Python
    compares two datetimes of the same zone by wall time, ignoring ``fold``
    (wrong inside a repeated DST hour)."""
    return value.astimezone(UTC)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
"""Free text that must say something: stripped, 1 to 10,000 characters."""
LongText = Annotated[str, StringConstraints(max_length=100_000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""An identifier: stripped, 1 to 200 characters."""


M = TypeVar("M", bound=BaseModel)


def invalid_input(error: ValidationError, prefix: str = "") -> InvalidInput:
    """Turn a pydantic error into an :class:`InvalidInput` naming each field."""
    problems: list[dict[str, Any]] = []
    for e in error.errors(include_url=False):
        loc = ".".join(str(p) for p in e["loc"])
        field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or "<input>")
        problems.append({"field": field, "reason": e["msg"]})
    message = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
    return InvalidInput(message or str(error), problems)


def aware(value: object, field: str) -> datetime:
    """``value`` if it is a timezone-aware datetime, else InvalidInput."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.field(field, "must be a timezone-aware datetime")
    return value


def as_model(cls: type[M], value: object, field: str) -> M:
    """``value`` as a ``cls`` model (validated when a dict), or InvalidInput
    naming ``field``."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise InvalidInput.field(
            field, f"must be a {cls.__name__} or a dict, not {type(value).__name__}"
        )
    try:
        return cls.model_validate(value)
    except ValidationError as e:
        raise invalid_input(e, field if field == "actor" else "") from None


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


def fast_copy(model: M, **update: Any) -> M:
    """A copy of a frozen model with some fields replaced, without
    validation: for values the library itself computed. Shares the
    fields-set with the original (frozen models never change it)."""
    cls = model.__class__
    new = cls.__new__(cls)
    d = model.__dict__.copy()
    d.update(update)
    object.__setattr__(new, "__dict__", d)
    object.__setattr__(new, "__pydantic_fields_set__", model.__pydantic_fields_set__)
    object.__setattr__(new, "__pydantic_extra__", None)
    object.__setattr__(new, "__pydantic_private__", None)
    return new


_FIELDS_SETS: dict[type[BaseModel], set[str]] = {}


def all_fields(cls: type[BaseModel]) -> set[str]:
    """One shared set of the model's field names. A plain set, because
    pydantic's ``model_copy`` copies it before adding to it; nothing changes
    it in place."""
    fields_set = _FIELDS_SETS.get(cls)
    if fields_set is None:
        fields_set = _FIELDS_SETS[cls] = set(cls.model_fields)
    return fields_set


def compact(model: M) -> M:
    """Let a validated model share one fields-set with every other instance
    of its class (saves a set per instance; the library never asks which
    fields were set explicitly)."""
    object.__setattr__(model, "__pydantic_fields_set__", all_fields(model.__class__))
    return model


def fast_new(cls: type[M], **values: Any) -> M:
    """A model from values the library itself computed, without validation.
    Every field must be given."""
    return fast_from_dict(cls, values)


def fast_from_dict(cls: type[M], values: dict[str, Any]) -> M:
    """:func:`fast_new` taking ownership of a dict of every field's value."""
    fields_set = all_fields(cls)
    if len(values) != len(fields_set):
        missing = fields_set - set(values)
        raise TypeError(f"fast_new({cls.__name__}) misses {sorted(missing)}")
    new = cls.__new__(cls)
    object.__setattr__(new, "__dict__", values)
    object.__setattr__(new, "__pydantic_fields_set__", fields_set)
    object.__setattr__(new, "__pydantic_extra__", None)
    object.__setattr__(new, "__pydantic_private__", None)
    return new
