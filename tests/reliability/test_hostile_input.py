"""The XSS corpus, delivered by local feeds in every place a feed carries HTML or a URL, ingested by the
real pipeline, then every page that shows it opened in Chromium: nothing may run, load or break out."""

import pytest
from django.utils.text import slugify

from articles.models import Article, Label
from articles.stories.editing import story_split
from feeds.models import FetchAttempt, Source
from feeds.services import feed_poll
from tests.reliability.browser_audit import Audit

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def ingest_hostile_feeds(feed_urls: dict[str, str]) -> list[Source]:
    sources = []
    for name, url in feed_urls.items():
        source = Source.objects.create(name=f"Hostile {name}", slug=slugify(name), feed_url=url)
        attempt = feed_poll(source=source)
        assert attempt.outcome != FetchAttempt.Outcome.ERROR, f"{name}: {attempt.error}"
        sources.append(source)
    # Entries repeated across the hostile feeds become copies in one story, shown nowhere: split them so that
    # every payload gets a page of its own.
    story_split(ids=list(Article.objects.filter(status=Article.Status.COPY).values_list("pk", flat=True)))
    return sources


def pages_to_open(sources: list[Source]) -> list[str]:
    posts = [article.get_absolute_url() for article in Article.objects.all()]
    listings = ["/", "/?page=2", "/?page=3", "/search?q=alert", "/search?q=%3Cscript%3E"]
    listings += [f"/source/{source.slug}/" for source in sources]
    listings += [label.get_absolute_url() for label in Label.objects.all()[:30]]
    return listings + posts


def test_no_payload_runs_loads_or_survives_on_any_page(hostile_feed_urls, live_server, browser):
    sources = ingest_hostile_feeds(hostile_feed_urls)
    stored = Article.objects.count()
    assert stored >= 148, f"only {stored} of the 154 hostile entries were stored"

    audit = Audit()
    page = browser.new_page()
    audit.attach(page)
    paths = pages_to_open(sources)
    for path in paths:
        audit.visit(page, live_server.url + path)
    page.close()

    assert len(paths) > 150
    problems = audit.problems()
    assert not problems, f"{len(problems)} problems, first 40:\n" + "\n".join(problems[:40])
