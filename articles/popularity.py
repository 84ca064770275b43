"""View counting and popular-post ranking (filled in by the popular-posts work)."""

from django.http import HttpRequest


def view_record(*, request: HttpRequest, article_id: int) -> None:
    """Count one view of a post; the post view calls this on every GET, cached page or not."""
