"""One story, one post: copies of one article from several sources are stored, but only their lead is listed.

The public face of the package: ingest joins new posts to stories (attach), the reading side shows a lead's
"Also covered by" and sends a copy's readers to its lead (reading), editors split and merge (editing).
"""

from articles.stories.attach import stories_attach, stories_lock
from articles.stories.reading import also_covered_by, copies_prefetch, copy_lead_url

__all__ = ["also_covered_by", "copies_prefetch", "copy_lead_url", "stories_attach", "stories_lock"]
