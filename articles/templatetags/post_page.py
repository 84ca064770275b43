"""The post page's parts that many requests show alike, rendered once and then kept.

- The approved comments: kept a day in the cache under a digest of what they show, as the post cards are, so a
  comment approved, edited or removed gives the list a new key and nothing needs dropping.
- The comment form's fields before anything is typed: the same on every post for every reader, rendered once
  per process for each setting that changes them. A form with the reader's values or errors is rendered live.
"""

import functools
import hashlib
import logging

from django import template
from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe
from redis import RedisError

from articles.forms import CommentForm
from articles.templatetags.cards import CARD_SECONDS, template_version

logger = logging.getLogger(__name__)
register = template.Library()

COMMENTS_TEMPLATE = "includes/comments.html"
FORM_FIELDS_TEMPLATE = "includes/comment_form_fields.html"


def comments_key(comments) -> str:
    shown = [(comment.pk, comment.author_name, comment.body, comment.created_at.isoformat()) for comment in comments]
    digest = hashlib.blake2b(repr((shown, settings.TIME_ZONE)).encode(), digest_size=12).hexdigest()
    return f"comments:{template_version(COMMENTS_TEMPLATE)}:{digest}"


@register.simple_tag
def approved_comments(comments) -> SafeString:
    """The approved comments' HTML, read from the cache in one round trip or rendered and kept."""
    if not comments:
        return mark_safe("")
    key = comments_key(comments)
    try:
        html = cache.get(key)
    except RedisError as error:
        logger.warning("comments cache read failed, rendering them: %s", error)
        return mark_safe(render_to_string(COMMENTS_TEMPLATE, {"comments": comments}))  # noqa: S308 - escapes
    if html is None:
        html = render_to_string(COMMENTS_TEMPLATE, {"comments": comments})
        try:
            cache.set(key, html, CARD_SECONDS)
        except RedisError as error:
            logger.warning("comments cache write failed: %s", error)
    return mark_safe(html)  # noqa: S308 - the output of comments.html, which escapes


@register.simple_tag
def comment_form_fields(form: CommentForm) -> SafeString:
    """The form's fields: a blank form's from this process's copy, a posted or refilled one's rendered live."""
    if form.is_bound or form.initial:
        return mark_safe(get_template(FORM_FIELDS_TEMPLATE).render({"form": form}))  # noqa: S308 - escapes
    return _blank_form_fields(settings.COMMENTS_AUTO_APPROVE, CommentForm.base_fields["body"].max_length)


@functools.lru_cache(maxsize=4)
def _blank_form_fields(auto_approve: bool, body_limit: int) -> SafeString:
    # The arguments are what the fields' help says (moderation, the length limit); CommentForm reads them itself.
    return mark_safe(get_template(FORM_FIELDS_TEMPLATE).render({"form": CommentForm()}))  # noqa: S308 - escapes
