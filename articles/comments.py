"""Posting reader comments: who may post how often, and what is stored."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

from articles.models import Article, Comment
from operations.client import client_network
from operations.counters import window_count

__all__ = ["address_hash", "client_network", "comment_create", "comment_rate_limited", "comment_slot_reserved"]

logger = logging.getLogger(__name__)


def address_hash(address: str) -> str:
    """A salted hash of an address: lets us count a reader's comments without storing the address."""
    return salted_hmac("articles.comments.address", address, algorithm="sha256").hexdigest()


# Posting attempts allowed per window, valid or not: room for a reader's typos, none for a flood.
ATTEMPTS_PER_COMMENT = 3


def comment_rate_limited(*, ip_hash: str) -> bool:
    """True when this address posted the allowed comments in the window, or tried too often.

    Stored comments are counted exactly in the database; attempts are counted atomically in the cache,
    so a burst of parallel posts or of invalid forms (each a full page render) is cut off too.
    """
    if _attempts(ip_hash) > settings.COMMENTS_RATE_LIMIT * ATTEMPTS_PER_COMMENT:
        return True
    since = timezone.now() - timedelta(seconds=settings.COMMENTS_RATE_WINDOW_SECONDS)
    recent = Comment.objects.filter(ip_hash=ip_hash, created_at__gte=since)
    return recent.count() >= settings.COMMENTS_RATE_LIMIT


def _attempts(ip_hash: str) -> int:
    """Count this attempt; how many this address made in the window (0 when the cache is down)."""
    try:
        return window_count(f"comments:attempts:{ip_hash}", settings.COMMENTS_RATE_WINDOW_SECONDS)
    except RedisError as error:
        logger.warning("comment attempt counter unavailable, counting stored comments only: %s", error)
        return 0


def comment_slot_reserved(*, ip_hash: str) -> bool:
    """Count a comment about to be stored against the address's limit first, then decide: False when over it.

    `comment_rate_limited` counts what is already stored, so parallel posts would all pass it; this count
    is atomic and taken before anything is stored. With the cache down, the stored count alone decides.
    """
    try:
        reserved = window_count(f"comments:stored:{ip_hash}", settings.COMMENTS_RATE_WINDOW_SECONDS)
    except RedisError as error:
        logger.warning("comment counter unavailable, counting stored comments only: %s", error)
        return True
    return reserved <= settings.COMMENTS_RATE_LIMIT


def comment_create(*, article: Article, author_name: str, email: str, body: str, ip_hash: str) -> Comment:
    """Store a reader's comment, waiting for moderation unless COMMENTS_AUTO_APPROVE is on."""
    status = Comment.Status.APPROVED if settings.COMMENTS_AUTO_APPROVE else Comment.Status.PENDING
    return Comment.objects.create(
        article=article, author_name=author_name, email=email, body=body, ip_hash=ip_hash, status=status
    )
