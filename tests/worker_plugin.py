"""A notifier for worker subprocess tests: appends one line per delivery,
``<pid> <notification id>``, to the file named by ``CF_TEST_NOTIFY_FILE``."""

from __future__ import annotations

import os

import complaintflow as cf


class FileNotifier:
    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        line = f"{os.getpid()} {notification.id}\n".encode()
        fd = os.open(os.environ["CF_TEST_NOTIFY_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line)  # one write on an O_APPEND file: lines never interleave
        finally:
            os.close(fd)
