"""A source's republishing rules applied at ingest: which new entries are taken, and in which status."""

import logging

from articles.models import Article
from feeds.ingest.parse import ParsedEntry
from feeds.ingest.rules import entry_text, rule_set
from feeds.models import PublishMode, Source

logger = logging.getLogger("feeds.poll")


def entries_taken(*, source: Source, entries: list[ParsedEntry]) -> list[ParsedEntry]:
    """The entries the source's keep/block rules take; rules the engine refuses are skipped and reported on it."""
    rules = rule_set(keep_rules=source.keep_rules, block_rules=source.block_rules)
    _report_problems(source, rules.problems)
    if rules.empty:
        return entries
    return [entry for entry in entries if rules.takes(entry_text(entry))]


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
