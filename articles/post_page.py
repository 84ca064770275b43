"""The post page's data in one query: the post and its source, and as JSON beside them its approved comments, its
labels, its story's other copies and the published posts just before and after it.

Read separately they were four queries more (labels and copies prefetched, both neighbours in a UNION ALL), and on
an uncached page building and reading each query costs more CPU than the database spends on it.
"""

import datetime
import functools
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import CARD_FIELDS, Article, Comment, Label

# What articles/detail.html, its structured data and the comment form read of the post and its source.
POST_PAGE_FIELDS = (
    *CARD_FIELDS,
    "author",
    "body_html",
    "url",
    "updated_at",
    "source__site_url",
    "source__noindex",
    "source__canonical_to_original",
    "source__author_mode",
)
# What the query reads beside the post as JSON and the post's own parts show (the approved comments, also read
# beside it, are a part of their own: articles/kept_parts.py).
POST_PAGE_JSON = ("labels_json", "copies_json", "older_json", "newer_json")


class JSONList(models.Aggregate):
    """The rows' values as one JSON array."""

    function = "JSONB_AGG"
    output_field = models.JSONField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


def _json_rows(rows: models.QuerySet, group: str, **fields) -> Subquery:
    """The fields of these rows (one group of them) as a JSON array of objects; NULL when there are none."""
    grouped = rows.order_by().values(group).annotate(json=JSONList(JSONObject(**fields))).values("json")
    return Subquery(grouped, output_field=models.JSONField())


def _json_link(posts: models.QuerySet) -> Subquery:
    """The first of these posts as a JSON object of what a link to it needs; NULL when there is none."""
    link = JSONObject(title="title", slug="slug", url_year="url_year", url_month="url_month")
    return Subquery(posts.values(json=link)[:1], output_field=models.JSONField())


def post_page_posts(using: str = DEFAULT_DB_ALIAS) -> models.QuerySet:
    """Published posts with what their page shows (post_page_parts reads it)."""
    # Building and compiling the four subqueries cost more CPU than PostgreSQL spends running them: they are
    # compiled once per process and database, and each request's query carries their SQL as it is.
    return _post_page_posts(connections[using].vendor).all()


@functools.cache
def _post_page_posts(vendor: str) -> models.QuerySet:
    posts = Article.objects.published().order_by().select_related("source").only(*POST_PAGE_FIELDS)
    subqueries = _post_page_annotations()
    annotated = posts.annotate(**subqueries)
    compiler = annotated.query.get_compiler(using=_alias_of(vendor))
    compiled = {}
    for name in subqueries:
        sql, params = compiler.compile(annotated.query.annotations[name])
        compiled[name] = RawSQL(sql, params, output_field=models.JSONField())  # noqa: S611 - SQL Django compiled
    return posts.annotate(**compiled)


def _alias_of(vendor: str) -> str:
    return next(alias for alias in connections if connections[alias].vendor == vendor)


def _post_page_annotations() -> dict:
    published = Article.objects.published().order_by()
    at, pk = OuterRef("published_at"), OuterRef("pk")
    # The reading order's neighbours: a plain range on published_at lets PostgreSQL walk the index; ties by id.
    older = published.filter(published_at__lte=at).exclude(published_at=at, id__gte=pk).newest_first()
    newer = published.filter(published_at__gte=at).exclude(published_at=at, id__lte=pk).order_by("published_at", "id")
    copies = Article.objects.filter(story_lead=pk, status=Article.Status.COPY)
    approved = Comment.objects.filter(article=pk, status=Comment.Status.APPROVED)
    return {
        "comments_json": _json_rows(
            approved, "article", id="id", author_name="author_name", body="body", created_at="created_at"
        ),
        "labels_json": _json_rows(Label.objects.filter(articles=pk), "articles", name="name", slug="slug"),
        "copies_json": _json_rows(copies, "story_lead", id="id", url="url", source_name="source__name"),
        "older_json": _json_link(older),
        "newer_json": _json_link(newer),
    }


@dataclass(frozen=True)
class PostPageParts:
    comments: list[Comment]
    labels: list[Label]
    older: Article | None
    newer: Article | None


def post_page_parts(article: Article) -> PostPageParts:
    """The approved comments, the labels (by name) and the neighbours read beside a post from post_page_posts();
    its copies go on article.copies, where articles.stories.also_covered_by finds them."""
    source_model = Article._meta.get_field("source").related_model
    copies = []
    for row in article.copies_json or []:
        copy = Article(id=row["id"], url=row["url"])
        copy.source = source_model(name=row["source_name"])
        copies.append(copy)
    article.copies = copies
    labels = [Label(name=row["name"], slug=row["slug"]) for row in article.labels_json or []]
    return PostPageParts(
        comments=_approved_comments(article),
        labels=sorted(labels, key=lambda label: label.name),
        older=_linked_post(article.older_json),
        newer=_linked_post(article.newer_json),
    )


def _linked_post(row: dict | None) -> Article | None:
    return None if row is None else Article(**row)


def _approved_comments(article: Article) -> list[Comment]:
    """The approved comments read beside the post, oldest first, with what the page shows of them."""
    comments = [
        Comment(
            id=row["id"],
            article=article,
            author_name=row["author_name"],
            body=row["body"],
            created_at=_json_datetime(row["created_at"]),
            status=Comment.Status.APPROVED,
        )
        for row in article.comments_json or []
    ]
    return sorted(comments, key=lambda comment: (comment.created_at, comment.id))


def _json_datetime(text: str) -> datetime.datetime:
    # PostgreSQL writes an offset; SQLite writes the UTC time it stores, without one.
    moment = parse_datetime(text)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)
