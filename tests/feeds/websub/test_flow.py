"""WebSub against a local hub written to the spec: subscribe and verify, push, renew, expire, deny, unsubscribe.

Tasks run in-process here (as in the embedded default); tests/feeds/websub/test_worker.py runs the real worker.
"""

import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from feeds import politeness
from feeds.ingest.fetch import FetchResult
from feeds.models import FetchAttempt, Source
from feeds.politeness import HostPause
from feeds.services import feed_poll
from feeds.websub.lifecycle import SAFETY_POLL, subscriptions_maintain, websub_after_poll
from feeds.websub.models import WebSubSubscription
from tests.factories import ArticleFactory, SourceFactory
from tests.feeds.rss import atom
from tests.feeds.websub.hub import hub_fixture  # noqa: F401 - the local hub fixture
from tests.operations.desk import editor_client

State = WebSubSubscription.State
FIRST = {"guid": "urn:w:1", "title": "First story"}
SECOND = {"guid": "urn:w:2", "title": "Second story", "content": "<p>Pushed.</p>"}


def wait_for_state(subscription: WebSubSubscription, state: str, seconds: float = 15) -> WebSubSubscription:
    deadline = time.monotonic() + seconds
    while True:
        subscription.refresh_from_db()
        if subscription.state == state:
            return subscription
        assert time.monotonic() < deadline, f"still {subscription.state} ({subscription.note}), never {state}"
        time.sleep(0.05)


@pytest.fixture
def pushed_source(live_server, hub, feed_server, settings):
    """A source whose feed names the local hub, and a poll that subscribed it (verified through the live server)."""
    settings.SITE_URL = live_server.url

    def make(path: str = "/feed.atom", **entry) -> tuple[Source, WebSubSubscription]:
        topic = feed_server.url(path)
        feed_server.serve(path, atom(entry or FIRST, hub=hub.url, self_url=topic), content_type="application/atom+xml")
        source = SourceFactory(feed_url=topic)
        feed_poll(source=source)
        hub.wait_for(lambda h: h.subscribed(topic))
        return source, wait_for_state(WebSubSubscription.objects.get(source=source), State.ACTIVE)

    return make


@pytest.mark.django_db(transaction=True)
def test_a_poll_subscribes_the_hub_verifies_and_a_signed_push_becomes_a_post(pushed_source, hub, live_server):
    source, subscription = pushed_source()
    request = hub.requests[0]
    assert request["hub.mode"] == "subscribe" and request["hub.topic"] == source.feed_url
    assert request["hub.callback"] == f"{live_server.url}/websub/{subscription.callback_id}/"
    assert len(subscription.callback_id) >= 40 and len(request["hub.secret"]) >= 40
    assert request["hub.lease_seconds"] == "864000"
    assert subscription.secret == request["hub.secret"] and subscription.verified_at is not None
    assert hub.subscribed(source.feed_url).secret == subscription.secret

    feed_poll(source=source)  # while subscribed, polls are a safety net
    source.refresh_from_db()
    assert source.next_poll_at >= timezone.now() + SAFETY_POLL - timedelta(minutes=1)

    body = atom(FIRST, SECOND, hub=hub.url, self_url=source.feed_url)
    assert [delivery.status for delivery in hub.publish(source.feed_url, body)] == [202]
    assert Article.objects.filter(source=source, title="Second story").exists()
    assert FetchAttempt.objects.filter(source=source, kind="push", entries_new=1).count() == 1
    hub.publish(source.feed_url, body)  # the hub delivers the same body again
    assert Article.objects.filter(source=source).count() == 2


@pytest.mark.django_db(transaction=True)
def test_each_subscription_gets_its_own_secret_and_callback(pushed_source, hub):
    _first, one = pushed_source("/one.atom")
    _second, two = pushed_source("/two.atom")
    assert one.secret != two.secret and one.callback_id != two.callback_id
    # A body signed with the other subscription's secret is ignored.
    hub.publish(_first.feed_url, atom(SECOND), secret=two.secret)
    assert not Article.objects.filter(title="Second story").exists()
    one.refresh_from_db()
    assert one.pushes_rejected == 1


@pytest.mark.django_db(transaction=True)
def test_a_denial_is_recorded(live_server, hub, feed_server, settings):
    settings.SITE_URL, hub.deny_reason = live_server.url, "this hub only serves its own publishers"
    topic = feed_server.serve("/feed.atom", atom(FIRST, hub=hub.url), content_type="application/atom+xml")
    source = SourceFactory(feed_url=topic)
    feed_poll(source=source)
    subscription = wait_for_state(WebSubSubscription.objects.get(source=source), State.DENIED)
    assert subscription.denied_at is not None and "only serves its own publishers" in subscription.note
    feed_poll(source=source)  # a denied subscription is not asked again at once
    assert len(hub.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_hub_refusing_the_request_leaves_the_source_polled_and_says_why(live_server, hub, feed_server, settings):
    settings.SITE_URL, hub.request_status = live_server.url, 400
    topic = feed_server.serve("/feed.atom", atom(FIRST, hub=hub.url), content_type="application/atom+xml")
    source = SourceFactory(feed_url=topic)
    feed_poll(source=source)
    subscription = WebSubSubscription.objects.get(source=source)
    assert subscription.state == State.FAILED and "HTTP 400" in subscription.note
    source.refresh_from_db()
    assert source.next_poll_at < timezone.now() + timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_disabling_a_source_unsubscribes_it_at_the_hub(pushed_source, hub):
    source, subscription = pushed_source()
    source.is_active = False
    source.save()
    subscription = wait_for_state(subscription, State.UNSUBSCRIBED)
    assert subscription.unsubscribed_at is not None and subscription.secret == ""
    hub.wait_for(lambda h: h.subscribed(source.feed_url) is None)
    assert hub.verifications[-1].mode == "unsubscribe" and hub.verifications[-1].echoed


@pytest.mark.django_db(transaction=True)
def test_deleting_a_source_unsubscribes_it_at_the_hub(pushed_source, hub):
    source, subscription = pushed_source()
    topic = source.feed_url
    source.delete()
    subscription = wait_for_state(subscription, State.UNSUBSCRIBED)
    assert subscription.source is None
    hub.wait_for(lambda h: h.subscribed(topic) is None)


@pytest.mark.django_db(transaction=True)
def test_a_source_disabled_in_bulk_is_unsubscribed_by_the_maintenance_task(pushed_source, hub):
    source, subscription = pushed_source()
    Source.objects.filter(pk=source.pk).update(is_active=False)  # as the admin's "disable" action does
    assert subscriptions_maintain()["ended"] == 1
    wait_for_state(subscription, State.UNSUBSCRIBED)
    hub.wait_for(lambda h: h.subscribed(source.feed_url) is None)


@pytest.mark.django_db(transaction=True)
def test_a_lease_is_renewed_before_it_ends_and_its_expiry_is_recorded(pushed_source, hub):
    hub.grant_lease = 120
    source, subscription = pushed_source()
    assert subscription.lease_seconds == 120
    first_verified, first_secret = subscription.verified_at, subscription.secret

    assert subscriptions_maintain()["renewed"] == 0  # two minutes left: not yet
    assert subscriptions_maintain(now=timezone.now() + timedelta(seconds=61))["renewed"] == 1
    hub.wait_for(lambda h: len([v for v in h.verifications if v.echoed]) == 2)
    subscription = wait_for_state(subscription, State.ACTIVE)
    subscription.refresh_from_db()
    assert subscription.verified_at > first_verified and subscription.secret != first_secret
    assert hub.subscribed(source.feed_url).secret == subscription.secret  # pushes are signed with the new one

    ended_at = subscription.expires_at + timedelta(seconds=1)
    assert subscriptions_maintain(now=ended_at)["expired"] == 1
    subscription.refresh_from_db()
    assert subscription.state == State.EXPIRED and subscription.expired_at == ended_at
    assert "lease ended" in subscription.note
    source.refresh_from_db()
    assert source.next_poll_at == ended_at  # back to polling at once

    old_callback = subscription.callback_id
    feed_poll(source=source)  # ... and that poll subscribes again, on a new callback
    subscription = wait_for_state(subscription, State.ACTIVE)
    assert subscription.callback_id != old_callback


@pytest.mark.django_db(transaction=True)
def test_when_the_hub_stops_delivering_the_source_is_polled_normally_and_subscribes_afresh(
    pushed_source, hub, feed_server
):
    source, subscription = pushed_source()
    now = timezone.now()
    for hours in range(1, 6):  # a source that posts hourly
        ArticleFactory(source=source, published_at=now - timedelta(hours=hours))
    WebSubSubscription.objects.filter(pk=subscription.pk).update(last_push_at=now - timedelta(hours=4))
    old_callback, old_verified_at = subscription.callback_id, subscription.verified_at
    feed_server.serve(
        "/feed.atom", atom(FIRST, SECOND, hub=hub.url, self_url=source.feed_url), content_type="application/atom+xml"
    )
    attempt = feed_poll(source=source)
    assert attempt.entries_new == 1
    source.refresh_from_db()
    assert source.next_poll_at < timezone.now() + timedelta(hours=1)  # not the 6 h safety net
    subscription.refresh_from_db()
    # Subscribed afresh: a new callback; the note says why until the hub verifies the new request (which clears
    # it, and a local hub may do that before this line runs).
    assert subscription.callback_id != old_callback
    assert "sent nothing since" in subscription.note or subscription.state == State.ACTIVE
    wait_for_state(subscription, State.ACTIVE)
    subscription.refresh_from_db()
    assert subscription.verified_at > old_verified_at


@pytest.mark.django_db(transaction=True)
def test_a_recent_push_keeps_the_safety_net_interval_even_when_a_poll_finds_an_entry(pushed_source, hub, feed_server):
    source, subscription = pushed_source()
    WebSubSubscription.objects.filter(pk=subscription.pk).update(last_push_at=timezone.now())
    feed_server.serve(
        "/feed.atom", atom(FIRST, SECOND, hub=hub.url, self_url=source.feed_url), content_type="application/atom+xml"
    )
    feed_poll(source=source)
    source.refresh_from_db()
    assert source.next_poll_at >= timezone.now() + SAFETY_POLL - timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_a_feed_that_drops_its_hub_is_unsubscribed(pushed_source, hub, feed_server):
    source, subscription = pushed_source()
    feed_server.serve("/feed.atom", atom(FIRST, SECOND), content_type="application/atom+xml")
    feed_poll(source=source)
    wait_for_state(subscription, State.UNSUBSCRIBED)
    hub.wait_for(lambda h: h.subscribed(source.feed_url) is None)


# --- the hub's host takes turns like every other host (feeds/politeness) ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_subscribe_to_a_paused_hub_host_is_held_back_shown_and_sent_when_the_pause_ends(
    client, live_server, hub, feed_server, settings
):
    settings.SITE_URL = live_server.url
    pause = HostPause(host="127.0.0.1", until=timezone.now() + timedelta(seconds=2), reason="it asked us to slow down")
    politeness.limiter().pause("127.0.0.1", pause, 2)
    topic = feed_server.url("/feed.atom")
    source = SourceFactory(feed_url=topic)
    ok_poll(source, atom(FIRST, hub=hub.url, self_url=topic))

    assert hub.requests == []  # the paused host was not asked
    assert subscriptions_maintain()["held_back"] == 0  # nor asked again before the pause ends
    subscription = WebSubSubscription.objects.get(source=source)
    assert (subscription.state, subscription.retry_at, subscription.awaiting) == (State.REQUESTING, pause.until, "")
    assert "subscribe request was not sent" in subscription.note and "backing off" in subscription.note
    page = editor_client(client).get(f"/admin/feeds/source/{source.pk}/change/").content.decode()
    assert "subscribe request was not sent" in page and "asks again" in page

    time.sleep(max((pause.until - timezone.now()).total_seconds(), 0) + 0.1)
    assert subscriptions_maintain()["held_back"] == 1
    subscription = wait_for_state(subscription, State.ACTIVE)
    assert subscription.retry_at is None and len(hub.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_subscribe_to_a_busy_hub_host_waits_its_turn_and_the_next_poll_sends_it(
    live_server, hub, feed_server, settings
):
    settings.SITE_URL, settings.FEEDS_HOST_WAIT_SECONDS = live_server.url, 0.2
    settings.FEEDS_HOST_MAX_IN_FLIGHT = 2
    politeness.limiter_reset()
    topic = feed_server.url("/feed.atom")
    source = SourceFactory(feed_url=topic)
    with ExitStack() as held:  # two requests to 127.0.0.1 in flight
        held.enter_context(politeness.host_turn("127.0.0.1", max_wait=5))
        held.enter_context(politeness.host_turn("127.0.0.1", max_wait=5))
        ok_poll(source, atom(FIRST, hub=hub.url, self_url=topic))
    assert hub.requests == []
    subscription = WebSubSubscription.objects.get(source=source)
    assert subscription.state == State.REQUESTING and subscription.retry_at > timezone.now()
    assert "no free request slot" in subscription.note

    WebSubSubscription.objects.filter(pk=subscription.pk).update(retry_at=timezone.now())  # its time has come
    ok_poll(source, atom(FIRST, hub=hub.url, self_url=topic))
    subscription = wait_for_state(subscription, State.ACTIVE)
    assert subscription.retry_at is None and len(hub.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_hub_asking_us_to_slow_down_gets_the_subscribe_again_after_its_pause_not_a_failure(
    live_server, hub, feed_server, settings
):
    settings.SITE_URL, hub.request_status = live_server.url, 429
    topic = feed_server.url("/feed.atom")
    source = SourceFactory(feed_url=topic)
    ok_poll(source, atom(FIRST, hub=hub.url, self_url=topic))
    subscription = WebSubSubscription.objects.get(source=source)
    assert subscription.state == State.REQUESTING and subscription.retry_at > timezone.now()
    assert "subscribe request was answered" in subscription.note and "HTTP 429" in subscription.note


@pytest.mark.django_db(transaction=True)
def test_an_unsubscribe_held_back_by_a_paused_hub_host_is_sent_when_the_pause_ends(pushed_source, hub):
    source, subscription = pushed_source()
    pause = HostPause(host="127.0.0.1", until=timezone.now() + timedelta(seconds=2), reason="it asked us to slow down")
    politeness.limiter().pause("127.0.0.1", pause, 2)
    source.is_active = False
    source.save()
    subscription.refresh_from_db()
    assert (subscription.state, subscription.retry_at) == (State.UNSUBSCRIBING, pause.until)
    assert hub.subscribed(source.feed_url) is not None  # not asked yet

    time.sleep(max((pause.until - timezone.now()).total_seconds(), 0) + 0.1)
    assert subscriptions_maintain()["held_back"] == 1
    wait_for_state(subscription, State.UNSUBSCRIBED)
    hub.wait_for(lambda h: h.subscribed(source.feed_url) is None)


# --- what is not subscribed, and why ---------------------------------------------------------------------------


def ok_poll(source: Source, body: bytes) -> None:
    attempt = FetchAttempt.objects.create(source=source, outcome="ok")
    websub_after_poll(source=source, fetched=FetchResult(url=source.feed_url, status=200, body=body), attempt=attempt)


@pytest.mark.django_db
def test_a_site_url_hubs_cannot_reach_is_said_instead_of_subscribing(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL, settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = "http://127.0.0.1:8000", False
    source = SourceFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ok_poll(source, atom(FIRST, hub="https://hub.example.net/"))
    subscription = WebSubSubscription.objects.get(source=source)
    assert subscription.state == State.FAILED and "SITE_URL (http://127.0.0.1:8000)" in subscription.note
    assert callbacks == []  # nothing sent to the hub


@pytest.mark.django_db(transaction=True)
def test_the_hub_is_held_to_the_fetcher_s_address_policy(hub, settings):
    settings.SITE_URL, settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = "https://news.example.com", False
    source = SourceFactory()
    ok_poll(source, atom(FIRST, hub=hub.url))
    subscription = WebSubSubscription.objects.get(source=source)
    assert subscription.state == State.FAILED and "public internet addresses" in subscription.note
    assert hub.requests == []


@pytest.mark.django_db
def test_a_feed_without_a_hub_and_websub_switched_off_subscribe_nothing(settings):
    ok_poll(SourceFactory(), atom(FIRST))
    settings.WEBSUB_ENABLED = False
    ok_poll(SourceFactory(), atom(FIRST, hub="https://hub.example.net/"))
    assert not WebSubSubscription.objects.exists()


@pytest.mark.django_db
def test_requests_the_hub_never_verified_and_lost_subscribe_tasks_are_dealt_with(django_capture_on_commit_callbacks):
    source, later = SourceFactory(), timezone.now() + timedelta(hours=2)
    hub_url = "https://hub.example.net/"
    unverified = WebSubSubscription.objects.create(
        source=source,
        hub_url=hub_url,
        topic_url=source.feed_url,
        state=State.PENDING,
        awaiting="subscribe",
        requested_at=timezone.now(),
    )
    lost = WebSubSubscription.objects.create(source=SourceFactory(), hub_url=hub_url, topic_url="https://t.example/")
    with django_capture_on_commit_callbacks() as queued:
        done = subscriptions_maintain(now=later)
    assert (done["unverified"], done["asked_again"], len(queued)) == (1, 1, 1)
    unverified.refresh_from_db()
    assert unverified.state == State.FAILED and "did not verify" in unverified.note and unverified.awaiting == ""
    lost.refresh_from_db()
    assert lost.state == State.REQUESTING
