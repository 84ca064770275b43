"""Drop cached pages once a change that readers would see is committed."""

from django.apps import apps
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from articles.models import Article, Comment, Label
from articles.pagecache import page_cache_invalidate


def invalidate_on_commit(**kwargs) -> None:
    """Invalidate after the transaction commits, so no reader re-caches the old version meanwhile."""
    transaction.on_commit(page_cache_invalidate)


def invalidate_for_comment(*, instance: Comment, created: bool = False, **kwargs) -> None:
    """A new comment waiting for moderation changes no page; any other comment change may."""
    if created and instance.status != Comment.Status.APPROVED:
        return
    invalidate_on_commit()


def connect() -> None:
    """Wire the invalidation to every model a page shows."""
    for model in (Article, Label, apps.get_model("feeds", "Source")):
        post_save.connect(invalidate_on_commit, sender=model, dispatch_uid=f"pages-save-{model._meta.label}")
        post_delete.connect(invalidate_on_commit, sender=model, dispatch_uid=f"pages-delete-{model._meta.label}")
    m2m_changed.connect(invalidate_on_commit, sender=Article.labels.through, dispatch_uid="pages-labels")
    post_save.connect(invalidate_for_comment, sender=Comment, dispatch_uid="pages-comment-save")
    post_delete.connect(invalidate_on_commit, sender=Comment, dispatch_uid="pages-comment-delete")
