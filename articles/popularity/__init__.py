"""View counting and popular-post ranking: what views, tasks, templates and health may call.

A post view counts once per visitor and post per 30 minutes, never for bots, prefetches, HEAD or non-200
responses. With Redis the count is one round trip on the request path (counter) and flush_views moves it
into the database every minute (flush); without Redis (the embedded default) the daily row is written
directly (embedded). The widget and the trending page read the daily rows (ranking).
"""

from articles.popularity.flush import FlushResult, flush_views
from articles.popularity.ranking import popular, popular_or_newest, trending
from articles.popularity.recording import view_record, view_record_cached_page
from articles.popularity.status import counter_status, last_flush_at

__all__ = [
    "FlushResult",
    "counter_status",
    "flush_views",
    "last_flush_at",
    "popular",
    "popular_or_newest",
    "trending",
    "view_record",
    "view_record_cached_page",
]
