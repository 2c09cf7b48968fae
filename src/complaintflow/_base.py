"""The base of every public model: frozen pydantic models whose validation
errors surface as :class:`~complaintflow.errors.InvalidInput`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from complaintflow.errors import InvalidInput

REDACTED = "[redacted]"


def utc(value: datetime) -> datetime:
    """``value`` in UTC: compare aware datetimes this way, since Python
    compares two datetimes of the same zone by wall time, ignoring ``fold``
    (wrong inside a repeated DST hour)."""
    return value.astimezone(UTC)


# C0 controls but tab, newline and carriage return; DEL and the C1 controls;
# lone surrogates (no store can encode them). The same on every store.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ID_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _refuse(found: re.Match[str] | None) -> None:
    if found is not None:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at position {found.start()}"
        )


def printable(value: str) -> str:
    """``value`` if it has no control character but tab, newline and
    carriage return (and no lone surrogate), else ValueError naming the
    character's code point and position (never quoting the text)."""
    _refuse(_CONTROL.search(value))
    return value


def id_printable(value: str) -> str:
    """``value`` if it has no control character at all (an identifier), else
    ValueError as :func:`printable`."""
    _refuse(_ID_CONTROL.search(value))
    return value


EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
"""The earliest instant a complaint's dates may take."""
LATEST: Final = datetime(2500, 1, 1, tzinfo=UTC)
"""The first instant after the latest a complaint's dates may take: later
(or earlier) dates would only overflow in deadline arithmetic."""


def in_range(value: datetime) -> datetime:
    """``value`` if it lies in [:data:`EARLIEST`, :data:`LATEST`), else ValueError."""
    try:
        ok = EARLIEST <= value.astimezone(UTC) < LATEST
    except OverflowError:
        ok = False
    if not ok:
        raise ValueError("must be between 1900-01-01 and 2500-01-01 (UTC)")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(printable),
]
"""Free text that must say something: stripped, 1 to 10,000 characters,
no control characters but tab and line breaks."""
LongText = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(printable)]
FreeText = Annotated[str, Field(max_length=10_000), AfterValidator(printable)]
"""Free text that may be empty: up to 10,000 characters, no control characters."""
Short = Annotated[str, Field(max_length=500), AfterValidator(printable)]
"""A short free text (a name, a contact): up to 500 characters."""
Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(id_printable),
]
"""An identifier: stripped, 1 to 200 characters, no control characters."""
Moment = Annotated[AwareDatetime, AfterValidator(in_range)]
"""An aware datetime a host gives: between 1900 and 2500."""


M = TypeVar("M", bound=BaseModel)


def invalid_input(error: ValidationError, prefix: str = "") -> InvalidInput:
    """Turn a pydantic error into an :class:`InvalidInput` naming each field."""
    problems: list[dict[str, Any]] = []
    for e in error.errors(include_url=False):
        loc = ".".join(str(p) for p in e["loc"])
        field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or "<input>")
        reason = e["msg"].removeprefix("Value error, ")
        problems.append({"field": field, "reason": reason})
    message = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
    return InvalidInput(message or str(error), problems)


def aware(value: object, field: str) -> datetime:
    """``value`` if it is a timezone-aware datetime between 1900 and 2500,
    else InvalidInput."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.field(field, "must be a timezone-aware datetime")
    try:
        return in_range(value)
    except ValueError as e:
        raise InvalidInput.field(field, str(e)) from None


def validate(cls: type[M], value: object, prefix: str = "") -> M:
    """``value`` validated as a ``cls`` model, or InvalidInput naming each
    field (under ``prefix``) without quoting the input."""
    try:
        return cls.__pydantic_validator__.validate_python(value)  # type: ignore[no-any-return]
    except ValidationError as e:
        raise invalid_input(e, prefix) from None
    except RecursionError:
        raise InvalidInput.field(prefix or "<input>", "nested too deeply") from None


def as_model(cls: type[M], value: object, field: str) -> M:
    """``value`` as a ``cls`` model (validated when a dict), or InvalidInput
    naming ``field``."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise InvalidInput.field(
            field, f"must be a {cls.__name__} or a dict, not {type(value).__name__}"
        )
    return validate(cls, value, field if field == "actor" else "")


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

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj``; bad input raises InvalidInput (never quoting it)."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as e:
            raise invalid_input(e) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate JSON; bad input raises InvalidInput (never quoting it)."""
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as e:
            raise invalid_input(e) from None


def fast_copy(model: M, **update: Any) -> M:
    """A copy of a frozen model with some fields replaced, without
    validation: for values the library itself computed. Shares the
    fields-set with the original (frozen models never change it)."""
    cls = model.__class__
    new = cls.__new__(cls)
    d = model.__dict__.copy()
    d.update(update)
    _setattr(new, "__dict__", d)
    _setattr(new, "__pydantic_fields_set__", model.__pydantic_fields_set__)
    _setattr(new, "__pydantic_extra__", None)
    _setattr(new, "__pydantic_private__", None)
    return new


_setattr: Final = object.__setattr__


def declared(model: BaseModel, cls: type[BaseModel]) -> dict[str, Any]:
    """The values ``model`` holds of the fields ``cls`` declares (a
    subclass's own fields and anything else left out)."""
    fields = cls.model_fields
    return {name: value for name, value in model.__dict__.items() if name in fields}


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
    fields_set = _FIELDS_SETS.get(cls) or all_fields(cls)
    if len(values) != len(fields_set):
        missing = fields_set - set(values)
        raise TypeError(f"fast_new({cls.__name__}) misses {sorted(missing)}")
    new = cls.__new__(cls)
    _setattr(new, "__dict__", values)
    _setattr(new, "__pydantic_fields_set__", fields_set)
    _setattr(new, "__pydantic_extra__", None)
    _setattr(new, "__pydantic_private__", None)
    return new


class _Checked(set[str]):
    """The fields-set of a model pydantic's validation made. A copy of it
    (``model_copy``, ``copy``, ``pickle``) is a plain set: a copy made with
    ``model_copy(update=...)`` skipped validation."""

    __slots__ = ()

    def __copy__(self) -> set[str]:
        return set(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> set[str]:
        return set(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (set, (list(self),))

    def __repr__(self) -> str:
        return repr(set(self))


class Checked(Model):
    """A model that tells whether pydantic's validation made it
    (:func:`validated`), as opposed to ``model_construct`` or a copy made
    with ``model_copy``, which skip validation."""

    def model_post_init(self, context: Any, /) -> None:
        _setattr(self, "__pydantic_fields_set__", _Checked(self.__pydantic_fields_set__))

    @classmethod
    def model_construct(  # type: ignore[override]  # the pydantic plugin's own signature
        cls, _fields_set: set[str] | None = None, **values: Any
    ) -> Self:
        """pydantic's ``model_construct``: no validation, so not :func:`validated`."""
        made = super().model_construct(_fields_set, **values)
        _setattr(made, "__pydantic_fields_set__", set(made.__pydantic_fields_set__))
        return made  # type: ignore[return-value]


def validated(model: BaseModel) -> bool:
    """Whether pydantic's validation made ``model`` (a :class:`Checked`)."""
    return type(model.__pydantic_fields_set__) is _Checked
