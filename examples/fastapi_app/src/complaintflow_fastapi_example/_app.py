"""The HTTP host: complaintflow's :class:`~complaintflow.aio.AsyncEngine` on
the SQLite store, behind FastAPI.

Endpoints are ``async def``: the engine runs each call in a thread, so the
event loop keeps serving while a command is checked and saved. The request
bodies are declared with the library's JSON Schemas
(:mod:`complaintflow.schema`) and validated by the library itself, so that a
bad body gets the same error body as every other failure
(``{"error", "message", "errors"}``, see :class:`~complaintflow.schema.ErrorBody`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Header, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

import complaintflow as cf
from complaintflow import schema
from complaintflow.aio import AsyncEngine
from complaintflow_fastapi_example._notifier import LogNotifier

__all__ = [
    "ERROR_RESPONSES",
    "STAFF_ROLES",
    "app_from_env",
    "calling_actor",
    "create_app",
    "error_status",
]

UNPROCESSABLE: Final = 422
"""422 Unprocessable Content (Starlette's constant for it was renamed in 2025)."""

STAFF_ROLES: Final = frozenset({"handler", "supervisor", "system"})
"""Roles that may read a complaint's audit trail."""

_ERROR: Final = {"$ref": "#/components/schemas/ErrorBody"}


def _described(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": _ERROR}}}


ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: _described("The body is not JSON (`malformed_json`)."),
    401: _described("No calling actor (`unauthenticated`)."),
    403: _described("The caller may not do this (`permission_denied`)."),
    404: _described("No such complaint (`not_found`)."),
    409: _described(
        "Not allowed in the complaint's status (`invalid_transition`), a precondition "
        "is not met (`guard_failed`), or another request changed it first (`conflict`)."
    ),
    422: _described("Bad input, each bad field named (`invalid_input`, `calendar_range`)."),
    503: _described("The database is unavailable (`store_unavailable`); try again."),
}
"""Every error status the endpoints answer, each with the library's error body."""


def _only(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: ERROR_RESPONSES[c] for c in codes}


def _body(name: str, description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    }


def _ok(name: str, description: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{name}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def error_status(error: cf.ComplaintFlowError) -> tuple[int, str]:
    """The HTTP status and ``error`` code for one of complaintflow's errors."""
    body = schema.error_body(error)
    return schema.http_status(error), str(body["error"])


def _error_response(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, cf.ComplaintFlowError)
    if isinstance(exc, MalformedJson):
        body = {"error": "malformed_json", "message": str(exc), "errors": []}
        return JSONResponse(body, status_code=status.HTTP_400_BAD_REQUEST)
    return JSONResponse(schema.error_body(exc), status_code=schema.http_status(exc))


def _request_error_response(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own validation errors (a ``now`` that is not a date) in the
    library's error body."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()
    ]
    message = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return JSONResponse(
        {"error": "invalid_input", "message": message, "errors": errors},
        status_code=UNPROCESSABLE,
    )


def _http_error_response(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = "unauthenticated" if exc.status_code == 401 else f"http_{exc.status_code}"
    return JSONResponse(
        {"error": code, "message": str(exc.detail), "errors": []},
        status_code=exc.status_code,
        headers=exc.headers,
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


class MalformedJson(cf.ComplaintFlowError):
    """The request body is not JSON (answered with 400 ``malformed_json``)."""


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object. The library validates it (as a
    ``NewComplaint`` or a command), so a bad body gets the library's error
    body naming each field; the OpenAPI document declares its schema."""
    try:
        body = json.loads(await request.body())
    except ValueError as e:
        raise MalformedJson(f"the body is not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise cf.InvalidInput.field("body", "must be a JSON object")
    return body


JsonObject = Annotated[dict[str, Any], Depends(json_object)]


def _complaint_json(complaint: cf.Complaint, engine: AsyncEngine) -> dict[str, Any]:
    # ``sla`` holds the tracker's raw facts; GET .../sla reports them. Times
    # in the calendar's zone, with the offset (the library's one time format)
    shown = cf.in_zone(complaint, engine.calendar.tz)
    return shown.model_dump(mode="json", exclude={"sla"})


async def _seen_by(engine: AsyncEngine, complaint: cf.Complaint, actor: cf.Actor) -> dict[str, Any]:
    """The complaint after a command, as its caller may see it (a respondent
    answering a question must not get the complainant's contact back)."""
    try:
        return _complaint_json(await engine.view(complaint.id, actor=actor), engine)
    except cf.PermissionDenied:
        # a plugin allowed the command but not the view: say only where it stands
        return {"id": complaint.id, "status": complaint.status.value, "version": complaint.version}


def _lifespan(
    engine: AsyncEngine, worker: dict[str, Any] | None
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = None
        if worker is not None:
            task = asyncio.create_task(engine.run_worker(stop=stop, **worker))
            app.state.worker = task
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await engine.close()

    return lifespan


def _install_openapi(app: FastAPI) -> None:
    """The library's schemas as OpenAPI components, beside FastAPI's own."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            components = doc.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in schema.json_schemas().items():
                components.setdefault(name, definition)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    db_path: str | os.PathLike[str],
    *,
    clock: Callable[[], datetime] | None = None,
    calendar: cf.BusinessCalendar | None = None,
    plugins: Iterable[object] = (),
    worker: dict[str, Any] | None = None,
) -> FastAPI:
    """An app serving the complaints kept in the SQLite file ``db_path``.

    :param clock: the engine's clock (tests pass a fixed one); the system
        clock when omitted.
    :param calendar: the business calendar for working-day deadlines, e.g.
        ``cf.BusinessCalendar.preset("CN")``; the engine's default otherwise.
    :param plugins: more complaintflow plugins, beside the log notifier and
        the installed ones (entry points).
    :param worker: run the worker (deadline sweeps, notification retries)
        as a task of the app's lifespan with these options of
        :func:`complaintflow.run_worker`, e.g. ``{"interval": 5}``; ``None``
        runs none (run ``complaintflow worker`` as a process instead).

    The :class:`~complaintflow.aio.AsyncEngine` is ``app.state.engine``; the
    worker task, when one runs, ``app.state.worker``. The store is closed
    when the app shuts down, after the worker's last round.
    """
    store = cf.stores.SQLiteStore(db_path)
    try:
        engine = AsyncEngine(
            store=store, plugins=[LogNotifier(), *plugins], calendar=calendar, clock=clock
        )
    except BaseException:
        store.close()
        raise
    app = FastAPI(
        title="complaintflow example host",
        summary="The guide's complaint process over HTTP.",
        lifespan=_lifespan(engine, worker),
    )
    app.state.engine = engine
    app.add_exception_handler(cf.ComplaintFlowError, _error_response)
    app.add_exception_handler(RequestValidationError, _request_error_response)
    app.add_exception_handler(HTTPException, _http_error_response)
    _install_openapi(app)
    _routes(app, engine)
    return app


def _routes(app: FastAPI, engine: AsyncEngine) -> None:
    reads = _only(401, 403, 404, 422, 503)

    @app.post(
        "/complaints",
        status_code=status.HTTP_201_CREATED,
        responses={
            201: _ok("Complaint", "The complaint as the caller may see it."),
            **_only(400, 401, 403, 409, 422, 503),
        },
        openapi_extra=_body("NewComplaint", "A NewComplaint."),
    )
    async def submit(body: JsonObject, actor: Caller) -> JSONResponse:
        """Receive a complaint (guide §2, §3.2 step 1)."""
        complaint = await engine.submit(body, actor=actor)
        return JSONResponse(
            await _seen_by(engine, complaint, actor),
            status_code=status.HTTP_201_CREATED,
            headers={"Location": f"/complaints/{complaint.id}"},
        )

    @app.post(
        "/complaints/{complaint_id}/commands",
        responses={
            200: _ok("Complaint", "The complaint after the command."),
            **_only(400, 401, 403, 404, 409, 422, 503),
        },
        openapi_extra=_body(
            "CommandBody", 'A command without its actor, e.g. {"type": "classify"}.'
        ),
    )
    async def handle(complaint_id: str, body: JsonObject, actor: Caller) -> JSONResponse:
        """Run one command; the actor comes from the request, never the body."""
        if "actor" in body:
            raise cf.InvalidInput.field(
                "actor", "set by the X-Actor-Id and X-Actor-Roles headers, not the body"
            )
        complaint = await engine.handle(complaint_id, {**body, "actor": actor})
        return JSONResponse(await _seen_by(engine, complaint, actor))

    @app.get(
        "/complaints/{complaint_id}",
        responses={200: _ok("Complaint", "The complaint as the caller may see it."), **reads},
    )
    async def view(complaint_id: str, actor: Caller) -> JSONResponse:
        """The complaint as the caller may see it: the other party's
        personal data redacted (guide §3.1)."""
        return JSONResponse(_complaint_json(await engine.view(complaint_id, actor=actor), engine))

    @app.get("/complaints/{complaint_id}/history", responses=reads)
    async def history(complaint_id: str, actor: Caller) -> list[dict[str, Any]]:
        """The audit trail, oldest first; staff only (its notes and screening
        are internal)."""
        await engine.view(complaint_id, actor=actor)
        if not actor.has(*STAFF_ROLES):
            raise cf.PermissionDenied(
                f"actor {actor.id!r}: the audit trail is for handlers and supervisors"
            )
        trail = cf.in_zone(await engine.history(complaint_id), engine.calendar.tz)
        return [e.model_dump(mode="json") for e in trail]

    @app.get("/complaints/{complaint_id}/allowed", responses=reads)
    async def allowed(complaint_id: str, actor: Caller) -> dict[str, list[str]]:
        """The commands the caller may run now."""
        await engine.view(complaint_id, actor=actor)
        return {"commands": await engine.allowed(complaint_id, actor=actor)}

    @app.get("/complaints/{complaint_id}/sla", responses=reads)
    async def sla(complaint_id: str, actor: Caller, now: datetime | None = None) -> dict[str, Any]:
        """Every deadline of the complaint as of ``now`` (ISO 8601 with an
        offset; the engine's clock when omitted); every time in the
        calendar's zone, with its offset."""
        await engine.view(complaint_id, actor=actor)
        report = cf.in_zone(await engine.sla(complaint_id, now=now), engine.calendar.tz)
        return {
            "complaint_id": report.complaint_id,
            "cycle": report.cycle,
            "targets": {name: t.model_dump(mode="json") for name, t in report.items()},
            "history": [t.model_dump(mode="json") for t in report.history],
        }


def app_from_env() -> FastAPI:
    """The app for a server, e.g. ``uvicorn --factory
    complaintflow_fastapi_example:app_from_env``: the database from
    ``COMPLAINTFLOW_DB`` (``complaintflow.sqlite3`` by default), the
    calendar preset from ``COMPLAINTFLOW_CALENDAR`` (e.g. ``CN``; none by
    default), and the worker as a lifespan task every
    ``COMPLAINTFLOW_WORKER_INTERVAL`` seconds (unset: no worker in the web
    process; run ``complaintflow worker`` beside it). Logs INFO records to
    stderr unless logging is configured already."""
    logging.basicConfig(level=logging.INFO)
    preset = os.environ.get("COMPLAINTFLOW_CALENDAR")
    interval = os.environ.get("COMPLAINTFLOW_WORKER_INTERVAL")
    return create_app(
        os.environ.get("COMPLAINTFLOW_DB", "complaintflow.sqlite3"),
        calendar=cf.BusinessCalendar.preset(preset) if preset else None,
        worker=None if not interval else {"interval": float(interval)},
    )
