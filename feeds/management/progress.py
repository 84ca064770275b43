"""The progress bar the long-running management commands draw on stderr."""

BAR_WIDTH = 30


def progress_bar(stderr, done: int, total: int, label: str) -> None:
    """Draw "[####....] done/total label": redrawn in place on a terminal, one line per step elsewhere."""
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    line = f"[{bar}] {done}/{total} {label[:40]}"
    if stderr.isatty():
        stderr.write(f"\r{line:<80}", ending="\n" if done == total else "")
    else:
        stderr.write(line)
