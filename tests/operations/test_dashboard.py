"""The admin index as the newsroom at a glance."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Comment
from feeds.models import FetchAttempt
from tests.factories import (
    ArticleDailyViewsFactory,
    ArticleFactory,
    CommentFactory,
    FetchAttemptFactory,
    SourceFactory,
)
from tests.operations.desk import editor_client, queries_for

pytestmark = pytest.mark.django_db


def test_index_shows_failing_sources_pending_comments_and_posts_today(client):
    editor = editor_client(client)
    SourceFactory(name="Broken Bugle", consecutive_failures=4, last_error="The server answered 503")
    SourceFactory(name="Fine Times")
    CommentFactory.create_batch(3, status=Comment.Status.PENDING)
    CommentFactory(status=Comment.Status.APPROVED)
    ArticleFactory(fetched_at=timezone.now() - timedelta(days=2))
    page = editor.get("/admin/").content.decode()
    summary = page[page.index('id="newsroom"') :]
    assert "<strong>1</strong>" in summary and "failing source</a>" in summary
    assert "Broken Bugle" in summary and "The server answered 503" in summary
    assert "Fine Times" not in summary
    pending = summary[summary.index('id="pending-comments"') :]
    assert pending.startswith('id="pending-comments">\n          <strong>3</strong>')
    assert "posts ingested today" in summary
    # 4 comments brought 4 posts fetched now, plus the one fetched two days ago.
    assert "<strong>4</strong>\n          <a" in summary


def test_index_charts_the_last_30_days_as_svg(client):
    editor = editor_client(client)
    today = timezone.localdate()
    ArticleDailyViewsFactory(date=today - timedelta(days=1), views=40)
    ArticleDailyViewsFactory(date=today - timedelta(days=1), views=2)
    ArticleDailyViewsFactory(date=today - timedelta(days=40), views=1000)
    FetchAttemptFactory(outcome=FetchAttempt.Outcome.ERROR)
    FetchAttemptFactory(outcome=FetchAttempt.Outcome.OK)
    page = editor.get("/admin/").content.decode()
    charts = page.split('<svg class="desk-chart"')[1:]
    assert len(charts) == 3
    assert all(chart[: chart.index("</svg>")].count("<rect") == 30 for chart in charts)
    assert f"{today - timedelta(days=1):%a %d %b}: 42 views" in charts[1]
    assert f"{today:%a %d %b}: 1 failures" in charts[2]
    assert "Views per day (42 in 30 days)" in page
    assert "Fetch failures per day (1 in 30 days)" in page
    assert not any("<script" in chart[: chart.index("</svg>")] for chart in charts)


def test_index_costs_the_same_queries_however_much_happened(client):
    editor = editor_client(client)
    few = queries_for(editor, "/admin/")
    for day in range(25):
        source = SourceFactory(consecutive_failures=day % 2)
        post = ArticleFactory(source=source, fetched_at=timezone.now() - timedelta(days=day))
        ArticleDailyViewsFactory(article=post, date=timezone.localdate() - timedelta(days=day))
        FetchAttemptFactory(source=source, outcome=FetchAttempt.Outcome.ERROR)
        CommentFactory(article=post, status=Comment.Status.PENDING)
    assert queries_for(editor, "/admin/") == few
