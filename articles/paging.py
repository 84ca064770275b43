"""Pages of a post list read without counting the list: "Newer posts" and "Older posts", as Blogger pages them.

Counting every published post for "page 3 of N" costs a scan that grows with the archive; asking for one row
more than a page holds tells whether an older page exists, from the top of the list's index.
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404


@dataclass(frozen=True)
class ListPage:
    """One page of a post list: its posts, its number, and whether an older page follows."""

    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    def __len__(self) -> int:
        return len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)


def list_page(posts: QuerySet, number: str | int, per_page: int) -> ListPage:
    """Page `number` (1 is the newest) of posts; a malformed number or a page past the end is a 404."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("No such page.") from None
    if number < 1:
        raise Http404("No such page.")
    start = (number - 1) * per_page
    rows = list(posts[start : start + per_page + 1])
    if not rows and number > 1:
        raise Http404("No such page.")
    return ListPage(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page)
