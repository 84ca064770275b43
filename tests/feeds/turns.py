"""When each request's turn at its host started, as the fetcher logs it (`feeds.politeness`, DEBUG), per host.

The politeness tests measure gaps here, not from the feed server's handler threads: a handler that a busy machine
runs late for one request and on time for the next shows two requests closer than the client sent them.
"""

import json
import logging
from collections import defaultdict
from datetime import datetime

LOGGER = "feeds.politeness"


def turn_starts(records: list[logging.LogRecord]) -> dict[str, list[float]]:
    """Per host, the sorted times (time.time()) its turns started, from captured log records (caplog.records)."""
    starts = defaultdict(list)
    for record in records:
        if record.name == LOGGER:
            starts[record.host].append(record.created)
    return {host: sorted(times) for host, times in starts.items()}


def turn_starts_in_json_log(text: str) -> dict[str, list[float]]:
    """The same from a process's log written with DJANGO_LOG_JSON=true and DJANGO_LOG_LEVEL=DEBUG."""
    starts = defaultdict(list)
    for line in text.splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("logger") == LOGGER:
            starts[entry["host"]].append(datetime.fromisoformat(entry["time"]).timestamp())
    return {host: sorted(times) for host, times in starts.items()}


def gaps(starts: list[float]) -> list[float]:
    """The seconds between each start and the next (starts sorted)."""
    return [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
