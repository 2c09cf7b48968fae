"""A notifier plugin that writes each notification to a Python logger.

It stands in for a real channel (e-mail, SMS, an in-app inbox). It logs
identifiers and kinds only: the notification's data (the complaint's
subject, a decision's basis, a question to a party) and the recipient's id
stay out of the log, which is read by more people than the complaint.
"""

from __future__ import annotations

import logging
from typing import Final

import complaintflow as cf

__all__ = ["LOGGER_NAME", "LogNotifier"]

LOGGER_NAME: Final = "complaintflow_fastapi_example.notifications"


class LogNotifier:
    """Implements ``complaintflow_notify``: one INFO record per notification.

    The engine saves a notification in its outbox before calling this; a
    real notifier would send it and use ``notification.idempotency_key`` to
    drop a repeated delivery.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(LOGGER_NAME)

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.logger.info(
            "notification %s: %s for the %s of complaint %s (event %d)",
            notification.idempotency_key,
            notification.kind,
            notification.recipient_role,
            notification.complaint_id,
            notification.event_seq,
        )
