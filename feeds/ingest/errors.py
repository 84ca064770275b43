"""Errors the pipeline stages raise; their messages are meant for editors."""


class ParseError(Exception):
    """The body is not a feed we can read."""
