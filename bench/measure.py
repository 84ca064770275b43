"""What a benchmark does when it could not measure: it says why and fails, never reports figures it lacks."""


class NotMeasured(Exception):
    """A figure the benchmark exists to print could not be measured (a failed poll, unreadable wrk output, ...)."""


def not_measured(reason: object) -> int:
    """Print the failure as the benchmark's result line; the exit status for it."""
    print(f"RESULT: FAILED, not measured: {reason}")
    return 1
