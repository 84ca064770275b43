"""The site without the cached-post-page script: a cached post page is read and its view counted in two round trips
(the page cache's read, then the count), as every other page is. bench/pages.py --page-script-cost's baseline."""

from newsblog.wsgi import application  # noqa: I001 (sets Django up, so it must come before articles)
from articles import popularity

popularity.view_record_cached_page = lambda *, request: None

__all__ = ["application"]
