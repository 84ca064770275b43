"""The log scan of scripts/production_check.py: a traceback chain is one, judged by all its exceptions."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from production_check import tracebacks  # noqa: E402

CHAIN = """INFO before
Traceback (most recent call last):
  File "redis/connection.py", line 1, in connect
ConnectionRefusedError: [Errno 111] Connection refused

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "celery/bootsteps.py", line 2, in restart
AttributeError: 'NoneType' object has no attribute 'connection_errors'
INFO after
Traceback (most recent call last):
  File "feeds/services.py", line 3, in feed_poll
KeyError: 'guid'
"""


def test_a_chain_counts_once_with_every_exception_and_a_lone_traceback_on_its_own():
    found = tracebacks(CHAIN)
    assert [endings for _offset, endings in found] == [
        [
            "ConnectionRefusedError: [Errno 111] Connection refused",
            "AttributeError: 'NoneType' object has no attribute 'connection_errors'",
        ],
        ["KeyError: 'guid'"],
    ]
    assert found[0][0] == CHAIN.index("Traceback") and found[1][0] == CHAIN.rindex("Traceback")
