"""Errors the pipeline stages raise; their messages are meant for editors."""

from django.db import InterfaceError, OperationalError

# The database going away: worth retrying the whole poll later (the Celery task does), not recording.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


class ParseError(Exception):
    """The body is not a feed we can read."""


class FetchError(Exception):
    """A fetch that failed; the message is meant for an editor."""

    def __init__(
        self, message: str, *, status: int | None = None, headers: dict[str, str] | None = None, host_pause=None
    ):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        # The pause (feeds.politeness.HostPause) this failure put its host in, if any: every source on it waits.
        self.host_pause = host_pause


def error_summary(error: Exception) -> str:
    """The error's class and the first line of its message ("DataError: value too long ..."), for editors."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else 'no details'}"


class FetchTimeout(FetchError):
    """A fetch that ran out of time: the server may be slow rather than wrong."""
