"""Running one action in several threads at the same moment, as two workers or two requests would."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(action: Callable[[], object], *, count: int = 2) -> tuple[list[object], list[Exception]]:
    """Run action in `count` threads released together; returns what the runs returned and what they raised.

    Each thread closes the database connection Django opened for it.
    """
    barrier, results, errors = threading.Barrier(count), [], []

    def run() -> None:
        try:
            barrier.wait()
            results.append(action())
        except Exception as error:  # noqa: BLE001 - handed to the test, which asserts on it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
