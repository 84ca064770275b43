"""The site with view counting switched off: the baseline of bench/views.py's served comparison."""

from newsblog.wsgi import application  # noqa: I001 (sets Django up, so it must come before articles)
from articles.popularity import recording

recording.request_counts = lambda request: False

__all__ = ["application"]
