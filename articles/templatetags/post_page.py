"""The post page's parts that many requests show alike, rendered once and then kept.

- The parts that show only the post's row, and the approved comments: kept a day in the cache under digests of
  what they show, as the post cards are (articles/kept_parts.py), so a change gives a part a new key and nothing
  needs dropping.
- The comment form's fields before anything is typed: the same on every post for every reader, rendered once
  per process for each setting that changes them. A form with the reader's values or errors is rendered live.
"""

import functools

from django import template
from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe

from articles.forms import CommentForm
from articles.kept_parts import COMMENTS_TEMPLATE, KeptParts

register = template.Library()

FORM_FIELDS_TEMPLATE = "includes/comment_form_fields.html"


@register.simple_tag(takes_context=True)
def approved_comments(context, comments) -> SafeString:
    """The approved comments' HTML, from the page's kept parts (articles/kept_parts.py) or rendered and kept."""
    if not comments:
        return mark_safe("")
    return _kept_parts(context).html("comments", lambda: render_to_string(COMMENTS_TEMPLATE, {"comments": comments}))


@register.tag
def kept(parser, token):
    """{% kept "name" %}...{% endkept %}: a part of the post page that shows only its row, read from the page's
    kept parts, or rendered and kept when missing."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% kept %} takes one quoted name: {% kept "post" %}')
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(bits[1][1:-1], nodelist)


class KeptNode(template.Node):
    def __init__(self, name: str, nodelist):
        self.name, self.nodelist = name, nodelist

    def render(self, context) -> SafeString:
        return _kept_parts(context).html(self.name, lambda: self.nodelist.render(context))


def _kept_parts(context) -> KeptParts:
    parts = context.get("kept_parts")
    if parts is None:
        raise template.TemplateSyntaxError("the post page's view puts kept_parts in the context")
    return parts


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
