"""The HTTP host: complaintflow's engine on the SQLite store, behind FastAPI.

Endpoints are plain ``def`` functions: FastAPI runs them in its thread
pool, and the SQLite store shares its one connection between threads
behind a lock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Body, Depends, FastAPI, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

import complaintflow as cf
from complaintflow_fastapi_example._notifier import LogNotifier

__all__ = ["STAFF_ROLES", "app_from_env", "calling_actor", "create_app", "error_status"]

UNPROCESSABLE: Final = 422
"""422 Unprocessable Content (Starlette's constant for it was renamed in 2025)."""

STAFF_ROLES: Final = frozenset({"handler", "supervisor", "system"})
"""Roles that may read a complaint's audit trail."""

_ERRORS: Final[tuple[tuple[type[cf.ComplaintFlowError], int, str], ...]] = (
    (cf.InvalidInput, UNPROCESSABLE, "invalid_input"),
    (cf.CalendarRangeError, UNPROCESSABLE, "calendar_range"),
    (cf.PermissionDenied, status.HTTP_403_FORBIDDEN, "permission_denied"),
    (cf.NotFound, status.HTTP_404_NOT_FOUND, "not_found"),
    (cf.InvalidTransition, status.HTTP_409_CONFLICT, "invalid_transition"),
    (cf.GuardFailed, status.HTTP_409_CONFLICT, "guard_failed"),
    (cf.ConcurrencyError, status.HTTP_409_CONFLICT, "conflict"),
    (cf.StoreError, status.HTTP_503_SERVICE_UNAVAILABLE, "store_unavailable"),
)
"""complaintflow's errors as HTTP statuses, and the ``error`` code of the body."""

_RETRY_HINTS: Final[dict[type[cf.ComplaintFlowError], str]] = {
    cf.ConcurrencyError: "another request changed the complaint first: "
    "reload it (GET /complaints/{id}) and send the command again if it still applies",
    cf.StoreError: "the database is busy or unavailable: try again shortly",
}


def error_status(error: cf.ComplaintFlowError) -> tuple[int, str]:
    """The HTTP status and ``error`` code for one of complaintflow's errors."""
    for cls, code, name in _ERRORS:
        if isinstance(error, cls):
            return code, name
    return status.HTTP_500_INTERNAL_SERVER_ERROR, "internal_error"


def _error_response(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, cf.ComplaintFlowError)
    code, name = error_status(exc)
    body: dict[str, Any] = {"error": name, "detail": str(exc)}
    if isinstance(exc, cf.InvalidInput):
        body["errors"] = exc.errors
    hint = next((h for cls, h in _RETRY_HINTS.items() if isinstance(exc, cls)), None)
    if hint is not None:
        body["retry"] = hint
    return JSONResponse(body, status_code=code)


def _request_error_response(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own validation errors (a body that is not a JSON object, a
    ``now`` that is not a date) in the same shape as ``InvalidInput``."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return JSONResponse(
        {"error": "invalid_input", "detail": detail, "errors": errors},
        status_code=UNPROCESSABLE,
    )


def _roles(header: str | None) -> list[str]:
    return [r.strip() for r in (header or "").split(",") if r.strip()]


def calling_actor(
    x_actor_id: Annotated[str | None, Header()] = None,
    x_actor_roles: Annotated[str | None, Header()] = None,
) -> cf.Actor:
    """The actor from the ``X-Actor-Id`` and ``X-Actor-Roles`` headers.

    An example's shortcut: anyone can send these headers. A real host takes
    the actor from its authentication (a session, a verified token) instead.
    """
    if x_actor_id is None or not x_actor_id.strip():
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="send the calling actor in the X-Actor-Id and X-Actor-Roles headers",
            headers={"WWW-Authenticate": "X-Actor-Id"},
        )
    try:
        return cf.Actor(id=x_actor_id, roles=frozenset(_roles(x_actor_roles)))
    except cf.InvalidInput as e:
        headers = {"id": "X-Actor-Id", "roles": "X-Actor-Roles"}
        errors = [
            {**p, "field": headers.get(p["field"].split(".")[0], p["field"])} for p in e.errors
        ]
        raise cf.InvalidInput(
            "; ".join(f"{p['field']}: {p['reason']}" for p in errors), errors
        ) from None


Caller = Annotated[cf.Actor, Depends(calling_actor)]


def _complaint_json(complaint: cf.Complaint) -> dict[str, Any]:
    # ``sla`` holds the tracker's raw facts; GET .../sla reports them
    return complaint.model_dump(mode="json", exclude={"sla"})


def _seen_by(engine: cf.Engine, complaint: cf.Complaint, actor: cf.Actor) -> dict[str, Any]:
    """The complaint after a command, as its caller may see it (a respondent
    answering a question must not get the complainant's contact back)."""
    try:
        return _complaint_json(engine.view(complaint.id, actor=actor))
    except cf.PermissionDenied:
        # a plugin allowed the command but not the view: say only where it stands
        return {"id": complaint.id, "status": complaint.status.value, "version": complaint.version}


def create_app(
    db_path: str | os.PathLike[str],
    *,
    clock: Callable[[], datetime] | None = None,
    calendar: cf.BusinessCalendar | None = None,
    plugins: Iterable[object] = (),
) -> FastAPI:
    """An app serving the complaints kept in the SQLite file ``db_path``.

    :param clock: the engine's clock (tests pass a fixed one); the system
        clock when omitted.
    :param calendar: the business calendar for working-day deadlines, e.g.
        ``cf.BusinessCalendar.preset("CN")``; the engine's default otherwise.
    :param plugins: more complaintflow plugins, beside the log notifier and
        the installed ones (entry points).

    The engine is ``app.state.engine``; the store is closed when the app
    shuts down.
    """
    store = cf.stores.SQLiteStore(db_path)
    try:
        engine = cf.Engine(
            store=store,
            plugins=[LogNotifier(), *plugins],
            calendar=calendar,
            clock=clock,
        )
    except BaseException:
        store.close()
        raise

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="complaintflow example host",
        summary="The guide's complaint process over HTTP.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.add_exception_handler(cf.ComplaintFlowError, _error_response)
    app.add_exception_handler(RequestValidationError, _request_error_response)

    @app.post("/complaints", status_code=status.HTTP_201_CREATED)
    def submit(
        body: Annotated[dict[str, Any], Body(description="A NewComplaint as JSON.")],
        actor: Caller,
    ) -> JSONResponse:
        """Receive a complaint (guide §2, §3.2 step 1)."""
        complaint = engine.submit(body, actor=actor)
        return JSONResponse(
            _seen_by(engine, complaint, actor),
            status_code=status.HTTP_201_CREATED,
            headers={"Location": f"/complaints/{complaint.id}"},
        )

    @app.post("/complaints/{complaint_id}/commands")
    def handle(
        complaint_id: str,
        body: Annotated[dict[str, Any], Body(description='A command, e.g. {"type": "classify"}.')],
        actor: Caller,
    ) -> dict[str, Any]:
        """Run one command; the actor comes from the request, never the body."""
        if "actor" in body:
            raise cf.InvalidInput.field(
                "actor", "set by the X-Actor-Id and X-Actor-Roles headers, not the body"
            )
        complaint = engine.handle(complaint_id, {**body, "actor": actor})
        return _seen_by(engine, complaint, actor)

    @app.get("/complaints/{complaint_id}")
    def view(complaint_id: str, actor: Caller) -> dict[str, Any]:
        """The complaint as the caller may see it: the other party's
        personal data redacted (guide §3.1)."""
        return _complaint_json(engine.view(complaint_id, actor=actor))

    @app.get("/complaints/{complaint_id}/history")
    def history(complaint_id: str, actor: Caller) -> list[dict[str, Any]]:
        """The audit trail, oldest first; staff only (its first event holds
        both parties' personal data)."""
        engine.view(complaint_id, actor=actor)
        if not actor.has(*STAFF_ROLES):
            raise cf.PermissionDenied(
                f"actor {actor.id!r}: the audit trail is for handlers and supervisors"
            )
        return [e.model_dump(mode="json") for e in engine.history(complaint_id)]

    @app.get("/complaints/{complaint_id}/allowed")
    def allowed(complaint_id: str, actor: Caller) -> dict[str, Any]:
        """The commands the caller may run now."""
        engine.view(complaint_id, actor=actor)
        return {"commands": engine.allowed(complaint_id, actor=actor)}

    @app.get("/complaints/{complaint_id}/sla")
    def sla(complaint_id: str, actor: Caller, now: datetime | None = None) -> dict[str, Any]:
        """Every deadline of the complaint as of ``now`` (ISO 8601 with an
        offset; the engine's clock when omitted)."""
        engine.view(complaint_id, actor=actor)
        report = engine.sla(complaint_id, now=now)
        return {
            "complaint_id": report.complaint_id,
            "cycle": report.cycle,
            "targets": {name: t.model_dump(mode="json") for name, t in report.items()},
            "history": [t.model_dump(mode="json") for t in report.history],
        }

    return app


def app_from_env() -> FastAPI:
    """The app for a server, e.g. ``uvicorn --factory
    complaintflow_fastapi_example:app_from_env``: the database from
    ``COMPLAINTFLOW_DB`` (``complaintflow.sqlite3`` by default) and the
    calendar preset from ``COMPLAINTFLOW_CALENDAR`` (e.g. ``CN``; none by
    default). Logs INFO records to stderr unless logging is configured
    already, so that the notifier's lines show."""
    logging.basicConfig(level=logging.INFO)
    preset = os.environ.get("COMPLAINTFLOW_CALENDAR")
    return create_app(
        os.environ.get("COMPLAINTFLOW_DB", "complaintflow.sqlite3"),
        calendar=cf.BusinessCalendar.preset(preset) if preset else None,
    )
