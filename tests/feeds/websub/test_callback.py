"""The WebSub callback as a hub sees it: verification of intent (GET) and signed content distribution (POST)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY

from articles.models import Article
from feeds import services
from feeds.models import FetchAttempt
from feeds.websub.models import WebSubPush, WebSubSubscription
from tests.factories import SourceFactory
from tests.feeds.rss import atom
from tests.feeds.websub.hub import signature

State = WebSubSubscription.State
TOPIC = "https://pushed.example.com/feed.atom"
SECRET = "the-secret-we-sent-with-the-request"
BODY = atom({"guid": "urn:p:1", "title": "Pushed story", "content": "<p>Fresh.</p><script>alert(1)</script>"})


def subscription(**fields) -> WebSubSubscription:
    now = timezone.now()
    if "source" not in fields:
        fields["source"] = SourceFactory(feed_url=TOPIC)
    values = {
        "hub_url": "https://hub.example.net/",
        "topic_url": TOPIC,
        "state": State.ACTIVE,
        "secret": SECRET,
        "verified_at": now,
        "lease_seconds": 86400,
        "expires_at": now + timedelta(days=1),
    } | fields
    return WebSubSubscription.objects.create(**values)


def url(sub: WebSubSubscription) -> str:
    return reverse("websub-callback", args=[sub.callback_id])


def push(client, sub, body=BODY, **headers):
    return client.post(url(sub), body, content_type="application/atom+xml", headers=headers)


def pushes_counted(result: str) -> float:
    return REGISTRY.get_sample_value("newsblog_websub_pushes_total", {"result": result}) or 0.0


# --- verification of intent ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_challenge_is_echoed_as_plain_text_for_the_subscribe_we_wait_on_and_the_lease_starts(client):
    sub = subscription(state=State.PENDING, awaiting="subscribe", secret="", pending_secret="new-secret")
    query = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "c-123", "hub.lease_seconds": "3600"}
    response = client.get(url(sub), query)
    assert (response.status_code, response.content) == (200, b"c-123")
    assert response["Content-Type"].startswith("text/plain")
    sub.refresh_from_db()
    assert (sub.state, sub.awaiting, sub.secret, sub.lease_seconds) == (State.ACTIVE, "", "new-secret", 3600)
    assert timedelta(minutes=59) < sub.expires_at - timezone.now() <= timedelta(hours=1)
    # Verified once: the same verification again is not one we wait for.
    assert client.get(url(sub), query).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.topic": "https://elsewhere.example.com/feed", "hub.challenge": "x"},
        {"hub.mode": "unsubscribe", "hub.topic": TOPIC, "hub.challenge": "x"},
        {"hub.mode": "subscribe", "hub.topic": TOPIC},
        {"hub.mode": "publish", "hub.topic": TOPIC, "hub.challenge": "x"},
    ],
    ids=["topic-never-asked-for", "mode-not-asked-for", "no-challenge", "unknown-mode"],
)
def test_a_challenge_we_did_not_ask_for_is_refused_with_404(client, query):
    sub = subscription(state=State.PENDING, awaiting="subscribe", secret="", pending_secret="p")
    response = client.get(url(sub), query)
    assert response.status_code == 404 and b"x" not in response.content
    sub.refresh_from_db()
    assert (sub.state, sub.awaiting) == (State.PENDING, "subscribe")


@pytest.mark.django_db
def test_an_unknown_callback_is_404(client):
    query = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "x"}
    assert client.get("/websub/not-a-subscription/", query).status_code == 404


@pytest.mark.django_db
def test_a_denial_is_recorded_with_the_hub_s_reason(client):
    sub = subscription(state=State.PENDING, awaiting="subscribe", secret="")
    response = client.get(url(sub), {"hub.mode": "denied", "hub.topic": TOPIC, "hub.reason": "topic not allowed"})
    assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.state == State.DENIED and sub.denied_at is not None and "topic not allowed" in sub.note
    other = subscription(source=SourceFactory())
    assert client.get(url(other), {"hub.mode": "denied", "hub.topic": "https://x.example/"}).status_code == 404


# --- content distribution --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_a_body_signed_with_each_algorithm_is_ingested_as_a_push(method, django_capture_on_commit_callbacks):
    sub = subscription()
    client = Client(enforce_csrf_checks=True)  # server to server: no CSRF token, and none needed
    with django_capture_on_commit_callbacks(execute=True):
        response = push(client, sub, X_Hub_Signature=signature(BODY, SECRET, method))
    assert response.status_code == 202
    assert "no-cache" in response["Cache-Control"]
    post = Article.objects.get(source=sub.source)
    assert post.title == "Pushed story" and "<script" not in post.body_html and "Fresh." in post.body_html
    attempt = FetchAttempt.objects.get(source=sub.source)
    assert (attempt.kind, attempt.outcome, attempt.entries_new) == ("push", "ok", 1)
    sub.refresh_from_db()
    assert (sub.pushes, sub.pushes_rejected) == (1, 0) and sub.last_push_at is not None
    assert WebSubPush.objects.get().body in (b"", memoryview(b""))  # the body is not kept once ingested


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_a_wrongly_signed_body_gets_2xx_but_is_ignored_and_counted(client, method, django_capture_on_commit_callbacks):
    sub = subscription()
    before = pushes_counted("bad_signature")
    with django_capture_on_commit_callbacks(execute=True):
        response = push(client, sub, X_Hub_Signature=signature(BODY, "a-guessed-secret", method))
    assert 200 <= response.status_code < 300
    assert not Article.objects.exists() and not FetchAttempt.objects.exists() and not WebSubPush.objects.exists()
    sub.refresh_from_db()
    assert (sub.pushes, sub.pushes_rejected) == (0, 1)
    assert pushes_counted("bad_signature") == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [None, "", "md5=0123", "sha256=", "sha256", "sha256=" + "0" * 64],
    ids=["unsigned", "blank", "unknown-algorithm", "no-digest", "no-equals", "wrong-digest"],
)
def test_an_unsigned_or_malformed_signature_is_ignored(client, header, django_capture_on_commit_callbacks):
    sub = subscription()
    headers = {} if header is None else {"X_Hub_Signature": header}
    with django_capture_on_commit_callbacks(execute=True):
        response = push(client, sub, **headers)
    assert response.status_code == 202 and not Article.objects.exists()
    sub.refresh_from_db()
    assert sub.pushes_rejected == 1


@pytest.mark.django_db
def test_a_body_signed_for_another_body_is_ignored(client, django_capture_on_commit_callbacks):
    sub = subscription()
    other = atom({"guid": "urn:p:2", "title": "Something else"})
    with django_capture_on_commit_callbacks(execute=True):
        push(client, sub, X_Hub_Signature=signature(other, SECRET))
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_a_replayed_old_body_adds_no_post_and_does_not_undo_a_newer_version(client, django_capture_on_commit_callbacks):
    sub = subscription()
    newer = atom({"guid": "urn:p:1", "title": "Pushed story, corrected", "updated": "2026-11-30T11:00:00Z"})
    with django_capture_on_commit_callbacks(execute=True):
        push(client, sub, BODY, X_Hub_Signature=signature(BODY, SECRET))
        push(client, sub, newer, X_Hub_Signature=signature(newer, SECRET))
        replay = push(client, sub, BODY, X_Hub_Signature=signature(BODY, SECRET))
    assert replay.status_code == 202
    assert list(Article.objects.values_list("title", flat=True)) == ["Pushed story, corrected"]
    assert FetchAttempt.objects.filter(kind="push").count() == 2


@pytest.mark.django_db
def test_a_body_over_15_mib_is_refused_with_413(client):
    sub = subscription()
    response = push(client, sub, b"x" * (15 * 1024 * 1024 + 1), X_Hub_Signature="sha256=00")
    assert response.status_code == 413
    declared = client.generic("POST", url(sub), b"<feed/>", CONTENT_LENGTH=str(16 * 1024 * 1024))
    assert declared.status_code == 413
    sub.refresh_from_db()
    assert (sub.pushes, sub.pushes_rejected) == (0, 0)


@pytest.mark.django_db
def test_pushes_over_the_rate_are_answered_429(client, monkeypatch):
    monkeypatch.setattr("feeds.websub.views.PUSHES_PER_MINUTE", 3)
    sub = subscription()
    statuses = [push(client, sub, X_Hub_Signature="sha256=00").status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


@pytest.mark.django_db
def test_an_ended_subscription_refuses_pushes_with_410_and_an_unknown_one_with_404(client):
    sub = subscription(state=State.UNSUBSCRIBED, secret="")
    assert push(client, sub, X_Hub_Signature=signature(BODY, SECRET)).status_code == 410
    assert client.post("/websub/nobody/", BODY, content_type="application/atom+xml").status_code == 404
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_a_push_for_a_disabled_source_is_not_ingested(client, django_capture_on_commit_callbacks):
    sub = subscription(source=SourceFactory(feed_url=TOPIC, is_active=False))
    with django_capture_on_commit_callbacks(execute=True):
        push(client, sub, X_Hub_Signature=signature(BODY, SECRET))
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_an_unreadable_pushed_body_is_recorded_as_a_failed_push(client, django_capture_on_commit_callbacks):
    sub = subscription()
    body = b"this is not a feed"
    with django_capture_on_commit_callbacks(execute=True):
        push(client, sub, body, X_Hub_Signature=signature(body, SECRET))
    attempt = FetchAttempt.objects.get()
    assert (attempt.kind, attempt.outcome) == ("push", "error") and "could not be read" in attempt.error


@pytest.mark.django_db
def test_a_pushed_entry_that_cannot_be_stored_is_counted_and_named_as_a_polls_would_be(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    def sanitize(markup: str, *, base_url: str) -> str:
        if "POISON" in markup:
            raise ValueError("the sanitizer choked on this entry")
        return markup

    monkeypatch.setattr(services, "sanitize_html", sanitize)
    sub = subscription()
    body = atom(
        {"guid": "urn:p:1", "title": "Pushed story", "content": "<p>Fresh.</p>"},
        {"guid": "urn:p:2", "title": "Poisoned", "content": "<p>POISON</p>"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        push(client, sub, body, X_Hub_Signature=signature(body, SECRET))
    attempt = FetchAttempt.objects.get()
    assert (attempt.kind, attempt.outcome, attempt.entries_new, attempt.entries_skipped) == ("push", "ok", 1, 1)
    assert attempt.error.startswith("1 entry skipped, the rest stored") and "urn:p:2" in attempt.error
    assert "the sanitizer choked on this entry" in attempt.error
