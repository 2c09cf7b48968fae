"""An example host for complaintflow: the engine on the SQLite store, over
HTTP with FastAPI, and a notifier that writes to a log.

Build the app with :func:`create_app`; the README lists the endpoints.
"""

from complaintflow_fastapi_example._app import (
    STAFF_ROLES,
    app_from_env,
    calling_actor,
    create_app,
    error_status,
)
from complaintflow_fastapi_example._notifier import LOGGER_NAME, LogNotifier

__all__ = [
    "LOGGER_NAME",
    "STAFF_ROLES",
    "LogNotifier",
    "app_from_env",
    "calling_actor",
    "create_app",
    "error_status",
]
