"""The sources desk, used through the test client as an editor."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feeds.models import FetchAttempt, Source
from tests.factories import ArticleDailyViewsFactory, ArticleFactory, FetchAttemptFactory, SourceFactory
from tests.operations.desk import action, editor_client, queries_for

pytestmark = pytest.mark.django_db
SOURCES = "/admin/feeds/source/"


def test_source_list_shows_health_at_a_glance(client):
    editor = editor_client(client)
    now = timezone.now()
    healthy = SourceFactory(
        name="Healthy Herald", last_success_at=now - timedelta(hours=2), next_poll_at=now + timedelta(minutes=30)
    )
    SourceFactory(
        name="Failing Facts",
        consecutive_failures=3,
        last_error="Could not connect to the server: connection refused " + "x" * 200,
    )
    SourceFactory(name="Disabled Daily", is_active=False)
    for post in ArticleFactory.create_batch(2, source=healthy):
        ArticleDailyViewsFactory(article=post, views=15)
    page = editor.get(SOURCES).content.decode()
    row = _row(page, "Healthy Herald")
    assert ">ok</span>" in row
    assert "2\xa0hours ago" in row
    assert "29\xa0minutes from now" in row or "30\xa0minutes from now" in row
    assert '<td class="field-posts">2</td>' in row
    assert '<td class="field-views_7_days">30</td>' in row
    failing = _row(page, "Failing Facts")
    assert ">failing ×3</span>" in failing
    assert "due now" in failing
    assert "Could not connect to the server" in failing
    assert "x" * 100 not in failing
    assert ">disabled</span>" in _row(page, "Disabled Daily")


def test_failing_and_active_filters_and_search(client):
    editor = editor_client(client)
    SourceFactory(name="Failing Facts", consecutive_failures=1)
    SourceFactory(name="Healthy Herald")
    SourceFactory(name="Disabled Daily", is_active=False)
    failing = editor.get(SOURCES, {"failing": "yes"}).content.decode()
    assert "Failing Facts" in failing
    assert "Healthy Herald" not in failing
    inactive = editor.get(SOURCES, {"is_active__exact": "0"}).content.decode()
    assert "Disabled Daily" in inactive
    assert "Healthy Herald" not in inactive
    found = editor.get(SOURCES, {"q": "herald"}).content.decode()
    assert "Healthy Herald" in found
    assert "Failing Facts" not in found


def test_source_list_costs_the_same_queries_for_3_or_30_sources(client):
    editor = editor_client(client)
    counts = []
    for number in (3, 27):
        for source in SourceFactory.create_batch(number):
            ArticleDailyViewsFactory(article=ArticleFactory(source=source))
            FetchAttemptFactory(source=source)
        counts.append(queries_for(editor, SOURCES))
    assert counts[0] == counts[1] <= 9  # the folder filter's choices are one of them


def test_enable_disable_and_reset_backoff(client):
    editor = editor_client(client)
    later = timezone.now() + timedelta(hours=6)
    off = SourceFactory(is_active=False, disabled_reason="The feed answered 410 Gone")
    backed_off = SourceFactory(consecutive_failures=5, next_poll_at=later)
    assert "1 source enabled" in action(editor, SOURCES, "enable", [off]).content.decode()
    off.refresh_from_db()
    assert off.is_active
    assert off.disabled_reason == ""
    assert Source.objects.due().filter(pk=off.pk).exists()
    action(editor, SOURCES, "reset_backoff", [backed_off])
    backed_off.refresh_from_db()
    assert backed_off.consecutive_failures == 0
    assert Source.objects.due().filter(pk=backed_off.pk).exists()
    action(editor, SOURCES, "disable", [off, backed_off])
    assert not Source.objects.active().exists()


def test_change_page_shows_the_last_20_fetches_read_only_and_charts_50(client):
    editor = editor_client(client)
    source = SourceFactory()
    start = timezone.now() - timedelta(days=1)
    for minute in range(60):
        FetchAttemptFactory(
            source=source,
            started_at=start + timedelta(minutes=minute),
            duration_ms=100 + minute,
            outcome=FetchAttempt.Outcome.ERROR if minute == 59 else FetchAttempt.Outcome.OK,
            error="Timed out after 10 seconds" if minute == 59 else "",
        )
    page = editor.get(f"{SOURCES}{source.pk}/change/").content.decode()
    table = page[page.index('<table class="recent-fetches">') : page.index("</table>", page.index("recent-fetches"))]
    assert table.count("<tr>") == 21
    assert "Timed out after 10 seconds" in table
    assert "159 ms" in table
    assert "139 ms" not in table
    chart = page[page.index('<svg class="desk-chart"') :]
    chart = chart[: chart.index("</svg>")]
    assert chart.count("<rect") == 50
    assert "Error, 159 ms" in chart
    assert "<input" not in table
    assert editor.get("/admin/feeds/fetchattempt/").status_code == 200
    attempt = source.fetch_attempts.first()
    assert editor.post(f"/admin/feeds/fetchattempt/{attempt.pk}/change/", {}).status_code == 403


def _row(page: str, name: str) -> str:
    start = page.index(name)
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_source_change_page_costs_the_same_queries_for_5_or_60_fetches(client):
    editor = editor_client(client)
    source = SourceFactory()
    FetchAttemptFactory.create_batch(5, source=source)
    few = queries_for(editor, f"{SOURCES}{source.pk}/change/")
    FetchAttemptFactory.create_batch(55, source=source)
    assert queries_for(editor, f"{SOURCES}{source.pk}/change/") == few


def test_the_folder_filter_names_every_choice_and_finds_sources_without_a_folder(client):
    from tests.factories import SourceFactory
    from tests.operations.desk import editor_client

    SourceFactory(name="Tech wire", category="Tech")
    SourceFactory(name="Loose feed", category="")
    editor = editor_client(client)
    page = editor.get("/admin/feeds/source/").content.decode()
    assert ">no folder</a>" in page and ">Tech</a>" in page
    unfiled = editor.get("/admin/feeds/source/", {"category": "-"}).content.decode()
    assert "Loose feed" in unfiled and "Tech wire" not in unfiled
