"""Upstream edits of published posts: the replaced title and body kept as revisions, corrections noticed.

The store stage calls revisions_keep() for every post an upstream edit changes (not those an editor took over:
their text is the editor's). The last KEEP revisions of a post are kept; a diff in the post's admin page shows
what each edit changed.
"""

import difflib
import html
import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.html import strip_tags

from articles.models import Article, ArticleRevision

KEEP = 10
# An edit that adds one of these (as a heading or anywhere in the text) corrects the post upstream.
CORRECTION = re.compile(r"\b(correction|clarification|editor[’']s note|retraction)\b", re.IGNORECASE)


@dataclass
class Edit:
    """One post's text before and after an upstream edit."""

    article_id: int
    old_title: str
    old_body_html: str
    new_title: str
    new_body_html: str

    def adds_correction(self) -> bool:
        return bool(CORRECTION.search(_text(self.new_title, self.new_body_html))) and not CORRECTION.search(
            _text(self.old_title, self.old_body_html)
        )


def revisions_keep(*, edits: list[Edit], now: datetime) -> None:
    """Keep each edit's previous text, drop revisions beyond the last KEEP, and flag posts corrected upstream."""
    edits = [edit for edit in edits if (edit.old_title, edit.old_body_html) != (edit.new_title, edit.new_body_html)]
    if not edits:
        return
    ArticleRevision.objects.bulk_create(
        ArticleRevision(article_id=e.article_id, title=e.old_title, body_html=e.old_body_html, replaced_at=now)
        for e in edits
    )
    ranked = ArticleRevision.objects.filter(article_id__in=[edit.article_id for edit in edits]).annotate(
        rank=Window(RowNumber(), partition_by=[F("article_id")], order_by=[F("replaced_at").desc(), F("id").desc()])
    )
    stale = list(ranked.filter(rank__gt=KEEP).values_list("pk", flat=True))
    ArticleRevision.objects.filter(pk__in=stale).delete()
    corrected = [edit.article_id for edit in edits if edit.adds_correction()]
    Article.objects.filter(pk__in=corrected).update(corrected_upstream_at=now)


def revision_diff(older: tuple[str, str], newer: tuple[str, str]) -> list[tuple[str, str]]:
    """(kind, line) pairs of a readable diff between two (title, body HTML) versions, as plain text by paragraph.

    kind is "removed", "added" or "same"; unchanged paragraphs far from a change are left out.
    """
    lines = difflib.unified_diff(_paragraphs(*older), _paragraphs(*newer), lineterm="", n=1)
    kinds = {"-": "removed", "+": "added", " ": "same"}
    return [(kinds[line[0]], line[1:]) for line in lines if line[:1] in kinds and line[:3] not in ("---", "+++")]


def _paragraphs(title: str, body_html: str) -> list[str]:
    blocks = re.split(r"(?i)</?(?:p|div|h[1-6]|li|blockquote|br)\b[^>]*>", body_html)
    return [title, *(text for block in blocks if (text := " ".join(html.unescape(strip_tags(block)).split())))]


def _text(title: str, body_html: str) -> str:
    return f"{title}\n{html.unescape(strip_tags(body_html))}"
