"""Posting reader comments: who may post how often, and what is stored."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from articles.models import Article, Comment
from newsblog.client import client_address

__all__ = ["address_hash", "client_address", "comment_create", "comment_rate_limited"]


def address_hash(address: str) -> str:
    """A salted hash of an address: lets us count a reader's comments without storing the address."""
    return salted_hmac("articles.comments.address", address, algorithm="sha256").hexdigest()


def comment_rate_limited(*, ip_hash: str) -> bool:
    """True when this address already posted the allowed number of comments in the window."""
    since = timezone.now() - timedelta(seconds=settings.COMMENTS_RATE_WINDOW_SECONDS)
    recent = Comment.objects.filter(ip_hash=ip_hash, created_at__gte=since)
    return recent.count() >= settings.COMMENTS_RATE_LIMIT


def comment_create(*, article: Article, author_name: str, email: str, body: str, ip_hash: str) -> Comment:
    """Store a reader's comment, waiting for moderation unless COMMENTS_AUTO_APPROVE is on."""
    status = Comment.Status.APPROVED if settings.COMMENTS_AUTO_APPROVE else Comment.Status.PENDING
    return Comment.objects.create(
        article=article, author_name=author_name, email=email, body=body, ip_hash=ip_hash, status=status
    )
