"""Drop cached pages once a change that readers would see is committed: the pages that can show it."""

from django.apps import apps
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from articles.models import Article, Comment, Label
from articles.pagecache import (
    invalidate_comment_pages_on_commit,
    invalidate_posts_on_commit,
    page_cache_invalidate,
    posts_sections,
)


def invalidate_everything_on_commit(**kwargs) -> None:
    """A source or label renamed, a post deleted: every page may show it."""
    transaction.on_commit(page_cache_invalidate)


def invalidate_for_post(*, instance: Article, **kwargs) -> None:
    invalidate_posts_on_commit([instance.pk])


def invalidate_for_labels(*, instance, action: str, reverse: bool, pk_set: set | None, **kwargs) -> None:
    """Labels put on or taken off posts: the posts' pages and lists, the labels' pages."""
    if action not in ("pre_remove", "pre_clear", "post_add"):
        return
    if reverse:  # label.articles.add(...): the posts are pk_set, or all of the label's on a clear
        ids = list(pk_set) if pk_set else list(instance.articles.values_list("pk", flat=True))
    else:
        ids = [instance.pk]
    if action == "post_add":
        invalidate_posts_on_commit(ids)
        return
    # Read now, while the labels being taken off still list the posts.
    sections = posts_sections(ids)
    transaction.on_commit(lambda: page_cache_invalidate(sections))


def invalidate_for_comment(*, instance: Comment, created: bool = False, **kwargs) -> None:
    """A new comment waiting for moderation changes no page; any other comment change changes its post's page."""
    if created and instance.status != Comment.Status.APPROVED:
        return
    invalidate_comment_pages_on_commit([instance.article_id])


def connect() -> None:
    """Wire the invalidation to every model a page shows."""
    post_save.connect(invalidate_for_post, sender=Article, dispatch_uid="pages-save-post")
    post_delete.connect(invalidate_everything_on_commit, sender=Article, dispatch_uid="pages-delete-post")
    for model in (Label, apps.get_model("feeds", "Source")):
        post_save.connect(invalidate_everything_on_commit, sender=model, dispatch_uid=f"pages-save-{model._meta.label}")
        post_delete.connect(
            invalidate_everything_on_commit, sender=model, dispatch_uid=f"pages-delete-{model._meta.label}"
        )
    m2m_changed.connect(invalidate_for_labels, sender=Article.labels.through, dispatch_uid="pages-labels")
    post_save.connect(invalidate_for_comment, sender=Comment, dispatch_uid="pages-comment-save")
    post_delete.connect(invalidate_for_comment, sender=Comment, dispatch_uid="pages-comment-delete")
