"""Errors the pipeline stages raise; their messages are meant for editors."""


class ParseError(Exception):
    """The body is not a feed we can read."""


class FetchError(Exception):
    """A fetch that failed; the message is meant for an editor."""

    def __init__(self, message: str, *, status: int | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class FetchTimeout(FetchError):
    """A fetch that ran out of time: the server may be slow rather than wrong."""
