"""The desk shows each source's WebSub state: a column on the source list, a section on the source's page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feeds.models import FetchAttempt
from feeds.websub.models import WebSubSubscription
from tests.factories import SourceFactory
from tests.operations.desk import editor_client, queries_for

pytestmark = pytest.mark.django_db
SOURCES = "/admin/feeds/source/"
State = WebSubSubscription.State


def subscribed(source, **fields) -> WebSubSubscription:
    now = timezone.now()
    values = {"hub_url": "https://hub.example.net/", "topic_url": source.feed_url, "state": State.ACTIVE} | fields
    return WebSubSubscription.objects.create(
        source=source, requested_at=now, verified_at=now, expires_at=now + timedelta(days=10), **values
    )


def test_the_source_list_shows_the_push_state_and_bad_signatures_without_a_query_per_source(client):
    editor = editor_client(client)
    pushed = SourceFactory(name="Pushed Daily")
    subscribed(pushed, pushes_rejected=2)
    denied = SourceFactory(name="Denied Weekly")
    subscribed(denied, state=State.DENIED)
    SourceFactory(name="Polled Monthly")
    page = editor.get(SOURCES).content.decode()
    assert "push: subscribed, 2 bad signatures" in page and "push: denied" in page
    few = queries_for(editor, SOURCES)
    for _ in range(3):
        subscribed(SourceFactory())
    assert queries_for(editor, SOURCES) == few


def test_the_source_page_records_each_step_of_the_subscription(client):
    editor = editor_client(client)
    source = SourceFactory()
    subscribed(source, state=State.UNSUBSCRIBED, unsubscribed_at=timezone.now(), note="The source was disabled.")
    subscribed(source, pushes=7, pushes_rejected=1, hub_url="https://push.example.org/hub", secret="s3cret")
    FetchAttempt.objects.create(source=source, kind="push", outcome="ok", entries_new=1)
    page = editor.get(f"{SOURCES}{source.pk}/change/").content.decode()
    assert "WebSub push" in page and "https://push.example.org/hub" in page
    assert "Subscribed and verified" in page and "Unsubscribed" in page and "The source was disabled." in page
    assert "verified " in page and "unsubscribed " in page
    assert "OK (push)" in page  # the push among the recent fetches
    assert "s3cret" not in page


def test_a_source_without_a_hub_says_it_is_polled(client):
    editor = editor_client(client)
    source = SourceFactory()
    assert "names no WebSub hub" in editor.get(f"{SOURCES}{source.pk}/change/").content.decode()
