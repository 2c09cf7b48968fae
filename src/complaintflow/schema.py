"""The HTTP contract: JSON Schemas of what a host sends and gets back, and
the error body.

A host serving complaintflow over HTTP (see ``docs/howto-http.md``) accepts
a :class:`~complaintflow.NewComplaint` and commands, returns complaints as
:meth:`Engine.view <complaintflow.Engine.view>` gives them, and reports
failures in one body, :class:`ErrorBody`::

    {"error": "invalid_input", "message": "basis: ...",
     "errors": [{"field": "basis", "reason": "..."}]}

:func:`error_body` builds it from any :class:`~complaintflow.ComplaintFlowError`
and :func:`http_status` gives the status that goes with it.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from complaintflow.commands import COMMAND_TYPES, Command
from complaintflow.errors import (
    CalendarRangeError,
    ComplaintFlowError,
    ConcurrencyError,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PluginError,
    StoreError,
)
from complaintflow.models import Complaint, NewComplaint

__all__ = [
    "ERROR_TYPES",
    "REF_TEMPLATE",
    "CommandBody",
    "ErrorBody",
    "FieldError",
    "error_body",
    "http_status",
    "json_schema",
    "json_schemas",
]

REF_TEMPLATE: Final = "#/components/schemas/{model}"
"""Where :func:`json_schemas` points references: OpenAPI's components."""

ERROR_TYPES: Final[tuple[tuple[type[ComplaintFlowError], str, int], ...]] = (
    (InvalidInput, "invalid_input", 422),
    (CalendarRangeError, "calendar_range", 422),
    (PermissionDenied, "permission_denied", 403),
    (NotFound, "not_found", 404),
    (InvalidTransition, "invalid_transition", 409),
    (GuardFailed, "guard_failed", 409),
    (ConcurrencyError, "conflict", 409),
    (StoreError, "store_unavailable", 503),
    (PluginError, "plugin_error", 500),
)
"""Each error class, its ``error`` code in the body and its HTTP status;
the first class an error is an instance of wins (``error``/500 otherwise)."""

_RETRY: Final[dict[str, str]] = {
    "conflict": "another request changed the complaint first: reload it and "
    "send the command again if it still applies",
    "store_unavailable": "the database is busy or unavailable: try again shortly",
}


class FieldError(BaseModel):
    """One problem with the input: the field (dotted path) and the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    reason: str


class ErrorBody(BaseModel):
    """The body of every error response.

    ``error`` is a stable code a program branches on (see
    :data:`ERROR_TYPES`); ``message`` is for people; ``errors`` lists the
    bad fields of an ``invalid_input`` (empty otherwise); ``retry`` says
    when sending the request again may help (a lost race, a busy database),
    absent otherwise."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    error: str
    message: str
    errors: list[FieldError] = Field(default_factory=list)
    retry: str | None = None


def _kind(error: ComplaintFlowError) -> tuple[str, int]:
    for cls, code, status in ERROR_TYPES:
        if isinstance(error, cls):
            return code, status
    return "error", 500


def http_status(error: ComplaintFlowError) -> int:
    """The HTTP status for one of complaintflow's errors (see :data:`ERROR_TYPES`)."""
    if not isinstance(error, ComplaintFlowError):
        raise InvalidInput.field("error", "must be a ComplaintFlowError")
    return _kind(error)[1]


def error_body(error: ComplaintFlowError) -> dict[str, Any]:
    """The :class:`ErrorBody` of ``error`` as JSON-ready data."""
    if not isinstance(error, ComplaintFlowError):
        raise InvalidInput.field("error", "must be a ComplaintFlowError")
    code, _ = _kind(error)
    errors = error.errors if isinstance(error, InvalidInput) else []
    body = ErrorBody(
        error=code,
        message=str(error),
        errors=[FieldError(field=str(e["field"]), reason=str(e["reason"])) for e in errors],
        retry=_RETRY.get(code),
    )
    return body.model_dump(mode="json", exclude_none=True)


def _body_model(cls: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (f.annotation, f) for name, f in cls.model_fields.items() if name != "actor"
    }
    # the tag is required in a body: it picks the command
    fields["type"] = (cls.model_fields["type"].annotation, ...)
    return create_model(
        f"{cls.__name__}Body",
        __config__=ConfigDict(extra="forbid", frozen=True),
        __doc__=(cls.__doc__ or "") + "\n\nThe actor comes from the request's authentication.",
        __module__=__name__,
        **fields,
    )


_BODIES: Final = tuple(_body_model(cls) for cls in COMMAND_TYPES.values())

CommandBody: Any = Annotated[Union[_BODIES], Field(discriminator="type")]  # noqa: UP007
"""A command as an HTTP body: the :data:`~complaintflow.Command` union
without ``actor``, which a host takes from the caller's authentication."""

_SCHEMAS: Final[dict[str, Any]] = {
    "NewComplaint": NewComplaint,
    "Command": Command,
    "CommandBody": CommandBody,
    "Complaint": Complaint,
    "ErrorBody": ErrorBody,
}

Name = Literal["NewComplaint", "Command", "CommandBody", "Complaint", "ErrorBody"]


def json_schema(
    name: Name, *, mode: Literal["validation", "serialization"] = "validation"
) -> dict[str, Any]:
    """One JSON Schema (draft 2020-12), self-contained (``$defs`` inside):
    ``NewComplaint`` (a submission), ``Command`` (any command, discriminated
    on ``type``), ``CommandBody`` (a command without its actor),
    ``Complaint`` (a complaint as returned; use ``mode="serialization"``)
    or ``ErrorBody``."""
    if name not in _SCHEMAS:
        raise InvalidInput.field("name", f"unknown schema {name!r}; known: {', '.join(_SCHEMAS)}")
    if mode not in ("validation", "serialization"):
        raise InvalidInput.field("mode", "must be 'validation' or 'serialization'")
    return TypeAdapter(_SCHEMAS[name]).json_schema(mode=mode)


def json_schemas(*, ref_template: str = REF_TEMPLATE) -> dict[str, Any]:
    """Every schema of the contract by name, with the models they share, as
    one flat mapping for OpenAPI's ``components.schemas``; references use
    ``ref_template``. Inputs are in validation mode, ``Complaint`` and
    ``ErrorBody`` in serialization mode."""
    if "{model}" not in ref_template:
        raise InvalidInput.field("ref_template", "must contain '{model}'")
    inputs = [
        (
            name,
            "serialization" if name in ("Complaint", "ErrorBody") else "validation",
            TypeAdapter(tp),
        )
        for name, tp in _SCHEMAS.items()
    ]
    keyed, defs = TypeAdapter.json_schemas(inputs, ref_template=ref_template)  # type: ignore[arg-type]
    out: dict[str, Any] = dict(defs.get("$defs", {}))
    for (name, _), schema in keyed.items():
        if "$ref" in schema and len(schema) == 1:
            # a model: its definition is in defs under its own name
            target = schema["$ref"].rsplit("/", 1)[-1]
            if target != name:
                out[name] = schema
        else:
            out[name] = schema
    return out
