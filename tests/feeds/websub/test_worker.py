"""WebSub end to end with the real Celery worker process: subscribe, verify, push -> post on the home page.

The worker (`celery -A newsblog worker`) polls the source, finds the local hub in the feed and subscribes; the hub
verifies through the live server's callback; a signed push is answered at once and the worker ingests it. The
worker shares the test's database and Redis (broker and page cache), as production processes share theirs.
"""

import time
from pathlib import Path

import pytest

from articles.models import Article
from feeds.websub.models import WebSubSubscription
from newsblog.celery import app as celery_app
from tests.factories import SourceFactory
from tests.feeds.rss import atom
from tests.feeds.websub.hub import hub_fixture  # noqa: F401 - the local hub fixture
from tests.feeds.websub.test_flow import FIRST, wait_for_state
from tests.newsblog.test_metrics_processes import BIN, service_env, started, stop

PUSH_TO_HOME_PAGE_SECONDS = 5
LATE_NEWS = {"guid": "urn:w:late", "title": "Late news from the harbour", "content": "<p>Just in.</p>"}


def wait_for_log(log: Path, text: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while text not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"the worker never logged {text!r}:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)


def wait_until(condition, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"the worker never got there:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_push_reaches_the_home_page_within_5_s_through_the_real_worker(
    live_server, hub, feed_server, client, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    topic = feed_server.url("/feed.atom")
    feed_server.serve("/feed.atom", atom(FIRST, hub=hub.url, self_url=topic), content_type="application/atom+xml")
    source = SourceFactory(feed_url=topic)
    env = service_env(REDIS_URL=settings.REDIS_URL, SITE_URL=live_server.url, CELERY_METRICS_PORT="0")
    log = tmp_path / "worker.log"
    worker = started([str(BIN / "celery"), "-A", "newsblog", "worker", "-l", "info", "-c", "2", "--purge"], env, log)
    celery_app.conf.task_always_eager = False  # the live server's callback hands pushes to the real worker
    try:
        wait_for_log(log, "ready")
        celery_app.send_task("feeds.tasks.poll_source", args=[source.pk])
        hub.wait_for(lambda h: h.subscribed(topic), seconds=60)
        subscription = wait_for_state(WebSubSubscription.objects.get(source=source), WebSubSubscription.State.ACTIVE)
        assert "First story" in client.get("/").content.decode()  # the home page, now cached

        pushed_at = time.monotonic()
        (delivery,) = hub.publish(topic, atom(FIRST, LATE_NEWS, hub=hub.url, self_url=topic))
        while LATE_NEWS["title"] not in client.get("/").content.decode():
            assert time.monotonic() - pushed_at < 30, f"never on the home page:\n{log.read_text()[-3000:]}"
            time.sleep(0.05)
        on_home_page = time.monotonic() - pushed_at
        more = [atom({"guid": f"urn:w:more-{n}", "title": f"More news {n}"}) for n in range(5)]
        answers = sorted(hub.publish(topic, body)[0].seconds for body in more)
        wait_until(lambda: Article.objects.filter(source=source).count() == 7, log)
    finally:
        celery_app.conf.task_always_eager = True
        stop(worker)
    print(  # noqa: T201 - the figure the issue asks for
        f"\nWebSub push -> home page: {on_home_page:.2f} s through the real worker "
        f"(the callback answered {delivery.status} in {delivery.seconds * 1000:.0f} ms, its first push; the next "
        f"{len(answers)} in a median {answers[len(answers) // 2] * 1000:.0f} ms)"
    )
    assert delivery.status == 202
    assert on_home_page < PUSH_TO_HOME_PAGE_SECONDS
    subscription.refresh_from_db()
    assert subscription.pushes == 6 and subscription.pushes_rejected == 0
    assert "Task feeds.websub.tasks.websub_ingest_push" in log.read_text()
