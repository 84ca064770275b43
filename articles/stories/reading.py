"""The reading side of stories: a lead's other copies, and where a copy's address sends its readers."""

from django.db.models import Prefetch

from articles.models import Article


def copies_prefetch() -> Prefetch:
    """A lead's copies with their sources: one query for any number of posts. Unordered, so that the database need
    not sort; the templates show them in the order they were stored (dictsort:"id")."""
    copies = Article.objects.filter(status=Article.Status.COPY).select_related("source").order_by()
    return Prefetch("story_copies", queryset=copies.only("id", "url", "story_lead_id", "source"), to_attr="copies")


def also_covered_by(article: Article) -> list[Article]:
    """The copies of article's story from other sources' originals (prefetched by copies_prefetch, else read)."""
    copies = getattr(article, "copies", None)
    if copies is None:
        copies = list(copies_prefetch().queryset.filter(story_lead=article))
    return sorted(copies, key=lambda copy: copy.id)


def copy_lead_url(*, year: int, month: int, slug: str) -> str | None:
    """The public address of the lead of the copy at /year/month/slug, or None when no copy is there."""
    copy = (
        Article.objects.filter(url_year=year, url_month=month, slug=slug, status=Article.Status.COPY)
        .exclude(story_lead=None)
        .select_related("story_lead")
        .only("story_lead__url_year", "story_lead__url_month", "story_lead__slug", "story_lead__status")
        .first()
    )
    if copy is None or copy.story_lead.status != Article.Status.PUBLISHED:
        return None
    return copy.story_lead.get_absolute_url()
