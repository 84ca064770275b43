"""One story, one post: copies of one article from several sources are stored, but only their lead is listed.

The public face of the package: ingest joins new posts to stories (attach), the reading side shows a lead's
"Also covered by" and sends a copy's readers to its lead (reading), editors split and merge (editing).
"""

from articles.stories.attach import stories_attach
from articles.stories.lookup import stories_lock
from articles.stories.nearcopies import TextRule, stories_index
from articles.stories.reading import also_covered_by, copies_prefetch, copy_lead_url

__all__ = [
    "TextRule",
    "also_covered_by",
    "copies_prefetch",
    "copy_lead_url",
    "stories_attach",
    "stories_index",
    "stories_lock",
]
