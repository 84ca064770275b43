"""A reader's own comments awaiting moderation: remembered in their session, shown only to them."""

from django.http import HttpRequest

from articles.models import Article, Comment

SESSION_KEY = "own_pending_comments"
# Enough for any reader's recent comments; keeps the session small.
REMEMBERED = 20


def own_comment_remember(*, request: HttpRequest, comment: Comment) -> None:
    """Remember a just-posted comment in the reader's session, so their next page view shows it to them."""
    remembered = [comment.pk, *request.session.get(SESSION_KEY, [])]
    request.session[SESSION_KEY] = remembered[:REMEMBERED]


def own_pending_comments(request: HttpRequest, article: Article) -> list[Comment]:
    """This reader's comments on the post still awaiting moderation (no query without a session cookie)."""
    if not hasattr(request, "session") or request.session.session_key is None:
        return []
    remembered = request.session.get(SESSION_KEY)
    if not remembered:
        return []
    return list(article.comments.filter(pk__in=remembered, status=Comment.Status.PENDING).order_by("created_at"))
