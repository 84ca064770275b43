"""A source's republishing rules applied at ingest: which entries are taken, with what content, in which status."""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.html import format_html, strip_tags
from lxml import etree

from articles.models import Article
from feeds.ingest.extract import FullText, full_text
from feeds.ingest.parse import ParsedEntry
from feeds.ingest.rules import RuleSet, entry_text, rule_set
from feeds.ingest.selectors import compiled_selectors
from feeds.ingest.store import PURGED, StoreResult
from feeds.models import ContentMode, FetchAttempt, PublishMode, Source
from feeds.politeness import HostBusy
from untrusted.sanitize import sanitize_html

logger = logging.getLogger("feeds.poll")
# Full-text fetches of one poll stop starting after this long, within the poll task's soft time limit (60 s).
FULL_TEXT_BUDGET_SECONDS = 40


@dataclass
class SourceRules:
    """A source's rules compiled once for a poll: what is taken, and what is cut from content."""

    rules: RuleSet
    selectors: list[etree.XPath]


def source_rules(source: Source) -> SourceRules:
    """The source's rules compiled; a rule or selector that cannot be compiled is left out and reported on it."""
    rules = rule_set(keep_rules=source.keep_rules, block_rules=source.block_rules)
    selectors, bad_selectors = compiled_selectors(source.remove_selectors)
    _report_problems(source, rules.problems + [f"remove selector {problem}" for problem in bad_selectors])
    return SourceRules(rules=rules, selectors=selectors)


def _report_problems(source: Source, problems: list[str]) -> None:
    report = "\n".join(problems)
    if report:
        logger.warning("rules of %s left out: %s", source.slug, report, extra={"source": source.slug})
    if report != source.rules_error:
        source.rules_error = report
        Source.objects.filter(pk=source.pk).update(rules_error=report)


def new_post_status(source: Source) -> str:
    """A new post goes live at once, or waits in the review queue when its source says so."""
    if source.publish_mode == PublishMode.REVIEW:
        return Article.Status.PENDING
    return Article.Status.PUBLISHED


def entries_to_prepare(
    source_rules: SourceRules, entries: list[ParsedEntry], known: dict[str, str]
) -> list[ParsedEntry]:
    """New entries the rules take, and stored ones changed upstream; a post already stored is reached by
    `applyrules`, not by a poll's rules."""
    rules = source_rules.rules
    return [
        entry
        for entry in entries
        if (entry.guid not in known and (rules.empty or rules.takes(entry_text(entry))))
        or (entry.guid in known and known[entry.guid] not in (entry.raw_hash, PURGED))
    ]


def with_content_mode(*, source: Source, entries: list[ParsedEntry]) -> tuple[list[ParsedEntry], list[str], bool]:
    """The entries with their article page's text in full-text mode (the feed's where that fails), a note for each
    entry whose full text could not be had, and whether some were left for the next poll (its time ran out)."""
    if source.content_mode != ContentMode.FULL_TEXT or not entries:
        return entries, [], False
    deadline = time.monotonic() + FULL_TEXT_BUDGET_SECONDS
    workers = settings.FEEDS_HOST_MAX_IN_FLIGHT
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="full-text") as pool:
        found = list(pool.map(lambda entry: _full_text_before(entry, deadline, source.user_agent), entries))
    later = [entry.guid for entry, text in found if text is None]
    notes = [
        f"{entry.guid}: full text failed, feed content kept: {text.error}"
        for entry, text in found
        if text and text.error
    ]
    notes += [
        f"{guid}: left for the next poll (this poll's {FULL_TEXT_BUDGET_SECONDS} s for pages ran out)" for guid in later
    ]
    return [_with_article(entry, text) for entry, text in found if text is not None], notes, bool(later)


def _full_text_before(entry: ParsedEntry, deadline: float, agent: str) -> tuple[ParsedEntry, FullText | None]:
    """The entry's full text, or None when the poll's time for pages is up (or its host gave no turn within it):
    the entry waits for the next poll."""
    if not entry.url:
        return entry, FullText(error="the entry links to no page")
    left = deadline - time.monotonic()
    if left <= 0:
        return entry, None
    try:
        return entry, full_text(entry.url, wait=left, agent=agent)
    except HostBusy:
        return entry, None


def _with_article(entry: ParsedEntry, text: FullText) -> ParsedEntry:
    if text.error:
        return entry
    return replace(entry, content_html=text.html, content_base=text.page_url)


def excerpt_only(source: Source, *, excerpt: str, url: str) -> str:
    """In excerpt mode, the body: the excerpt and a link to read on at the source; else "" (the body stays)."""
    if source.content_mode != ContentMode.EXCERPT:
        return ""
    teaser = format_html('<p>{}</p><p><a href="{}">Continue reading at {}</a></p>', excerpt, url, source.name)
    return sanitize_html(teaser, base_url=url)


def entry_notes_record(*, attempt: FetchAttempt, stored: StoreResult) -> FetchAttempt:
    """Keep the notes on single entries with the poll's attempt, where the editor reads its outcome; when entries
    were left for the next poll, forget the document's fingerprint so that poll parses it again."""
    if stored.notes:
        attempt.entry_notes = "\n".join(stored.notes)
        FetchAttempt.objects.filter(pk=attempt.pk).update(entry_notes=attempt.entry_notes)
    if stored.retry_next_poll:
        Source.objects.filter(pk=attempt.source_id).update(content_digest="")
    return attempt


SUMMARY_SAMPLE = 20
SUMMARY_MAX_AVERAGE_CHARS = 500
SUMMARY_ENDINGS = ("…", "[…]", "[...]", "...", "read more", "read more »", "continue reading")


def looks_summary_only(texts: list[str]) -> bool:
    """Whether a source's latest posts (their plain text) look like teasers: short on average, or cut off."""
    if not texts:
        return False
    average = sum(len(text) for text in texts) / len(texts)
    cut_off = sum(text.rstrip().lower().endswith(SUMMARY_ENDINGS) for text in texts)
    return average < SUMMARY_MAX_AVERAGE_CHARS or cut_off * 2 > len(texts)


def source_looks_summary_only(source: Source) -> bool:
    """The summary-only test on the source's last SUMMARY_SAMPLE posts (one query)."""
    bodies = source.articles.order_by("-published_at", "-id").values_list("body_html", flat=True)[:SUMMARY_SAMPLE]
    return looks_summary_only([" ".join(strip_tags(body).split()) for body in bodies])
