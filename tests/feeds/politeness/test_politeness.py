"""Per-host politeness: two requests in flight and a second between starts per host, bounded waits, pauses on
429/503 and on repeated failures that defer every source on the host, and the per-source User-Agent.

The limiter cases run on the in-process limiter (embedded default) and on the Redis one; two real processes
sharing the Redis limiter are in tests/feeds/test_pollfeeds_concurrency.py.
"""

import threading
import time
from contextlib import ExitStack
from datetime import timedelta
from email.utils import format_datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from feeds import politeness
from feeds.ingest.errors import FetchError
from feeds.ingest.fetch import fetch_feed
from feeds.models import ContentMode, FetchAttempt, Source
from feeds.politeness.local import InProcessHostLimiter
from feeds.politeness.shared import RedisHostLimiter
from feeds.services import feed_poll
from tests.factories import SourceFactory
from tests.feeds.rss import rss
from tests.feeds.test_republishing_rules import SOURCES, _change_data
from tests.operations.desk import editor_client

pytestmark = pytest.mark.django_db
TOLERANCE = 0.05


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
def polite(request, settings):
    """Politeness as in production (2 in flight, 1 s between starts), on one limiter or the other."""
    if request.param == "in-process":
        settings.REDIS_URL = ""
    settings.FEEDS_HOST_MIN_GAP_MS = 1000
    settings.FEEDS_HOST_MAX_IN_FLIGHT = 2
    politeness.limiter_reset()
    yield request.param
    politeness.limiter_reset()


def test_requests_to_a_host_start_a_second_apart_two_at_a_time_and_other_hosts_do_not_wait(polite):
    starts, running, most, lock = [], [0], [0], threading.Lock()

    def request(host: str) -> None:
        with politeness.host_turn(host, max_wait=10) as turn:
            # As the fetcher does: the time taken after the grant and before the start is marked, so a thread that
            # runs late between the two cannot make its request look closer to the next one than it was.
            when = time.monotonic()
            turn.starting()
            with lock:
                starts.append((host, when))
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(1.5)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=request, args=("a.example",)) for _ in range(4)]
    threads.append(threading.Thread(target=request, args=("b.example",)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    a_starts = sorted(when for host, when in starts if host == "a.example")
    assert len(a_starts) == 4
    assert all(later - earlier >= 1 - TOLERANCE for earlier, later in zip(a_starts, a_starts[1:], strict=False))
    # The third waits for a slot (the first request's 1.5 s), not just for the gap.
    assert a_starts[2] - a_starts[0] >= 1.5 - TOLERANCE
    assert min(when for host, when in starts if host == "b.example") - a_starts[0] < 0.5
    assert most[0] <= 3  # two of a.example and one of b.example


def test_a_turn_that_cannot_come_within_the_wait_raises_host_busy_instead_of_sleeping_on(polite):
    with ExitStack() as held:
        held.enter_context(politeness.host_turn("a.example", max_wait=5))
        held.enter_context(politeness.host_turn("a.example", max_wait=5))
        started = time.monotonic()
        with pytest.raises(politeness.HostBusy) as busy, politeness.host_turn("a.example", max_wait=0.3):
            pytest.fail("a third request ran while two were in flight")
    assert time.monotonic() - started < 1.0
    assert busy.value.retry_at > timezone.now()
    assert "no free request slot within 0.3 s" in str(busy.value)


@pytest.mark.parametrize("kind", ["in-process", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_crashed_workers_slot_frees_itself_when_its_lease_ends(kind, settings):
    limits = {"in_flight": 1, "gap": 0.0, "lease": 0.3}
    shared = kind == "redis"
    limiter = RedisHostLimiter(url=settings.REDIS_URL, **limits) if shared else InProcessHostLimiter(**limits)
    assert limiter.reserve("a.example").token  # taken, never released: the worker died
    assert not limiter.reserve("a.example").token
    time.sleep(0.4)
    assert limiter.reserve("a.example").token


def feed_sources(feed_server, count: int, **fields) -> list[Source]:
    now = timezone.now()
    return [
        SourceFactory(feed_url=feed_server.serve(f"/f{n}.xml", file="feeds/rss20.xml"), next_poll_at=now, **fields)
        for n in range(count)
    ]


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_429_with_retry_after_defers_every_source_on_the_host_with_jitter(feed_server, polite, form):
    retry = str(600) if form == "seconds" else format_datetime(timezone.now() + timedelta(seconds=600), usegmt=True)
    busy = SourceFactory(feed_url=feed_server.serve("/busy.xml", status=429, headers={"Retry-After": retry}))
    others = feed_sources(feed_server, 5)
    elsewhere = SourceFactory(feed_url=feed_server.url("/f0.xml").replace("127.0.0.1", "localhost"))
    before = timezone.now()

    feed_poll(source=busy)

    pause_ends = before + timedelta(seconds=590)
    times = []
    for source in others:
        source.refresh_from_db()
        times.append(source.next_poll_at)
        [deferred] = FetchAttempt.objects.filter(source=source)
        assert deferred.outcome == FetchAttempt.Outcome.DEFERRED
        assert "backing off until" in deferred.error and "asked us to slow down (HTTP 429" in deferred.error
        assert source.consecutive_failures == 0
    assert min(times) >= pause_ends and max(times) <= before + timedelta(seconds=600 + 6 * 60)
    assert len(set(times)) == 5  # each its own time: they come back spread out
    elsewhere.refresh_from_db()
    assert elsewhere.next_poll_at is None or elsewhere.next_poll_at < pause_ends

    # Claimed anyway (by hand here): not fetched while the pause lasts, recorded as deferred.
    output = StringIO()
    call_command("pollfeeds", "--source", *[str(s.pk) for s in others], stdout=output, stderr=StringIO())
    assert all(not feed_server.hits(f"/f{n}.xml") for n in range(5))
    assert "5 deferred (host busy or backing off)" in output.getvalue()


def test_repeated_failures_pause_the_host_not_each_source_in_lock_step(feed_server, polite):
    broken = [SourceFactory(feed_url=feed_server.serve(f"/broken{n}.xml", status=500)) for n in range(3)]
    healthy = feed_sources(feed_server, 1)[0]
    for source in broken:
        feed_poll(source=source)

    attempt = feed_poll(source=Source.objects.get(pk=healthy.pk))

    assert attempt.outcome == FetchAttempt.Outcome.DEFERRED and not feed_server.hits("/f0.xml")
    assert "3 requests in a row failed" in attempt.error
    healthy.refresh_from_db()
    assert healthy.consecutive_failures == 0 and healthy.next_poll_at > timezone.now() + timedelta(seconds=45)


def test_a_full_text_page_answering_429_holds_back_the_feed_polls_on_that_host(feed_server, polite):
    page = feed_server.serve("/story.html", status=429, headers={"Retry-After": "300"})
    items = [{"guid": "g0", "title": "Story", "content": "<p>Teaser.</p>", "link": page}]
    full_text = SourceFactory(feed_url=feed_server.serve("/ft.xml", rss(*items)), content_mode=ContentMode.FULL_TEXT)
    feed_poll(source=full_text)
    other = feed_sources(feed_server, 1)[0]

    attempt = feed_poll(source=other)

    assert attempt.outcome == FetchAttempt.Outcome.DEFERRED and not feed_server.hits("/f0.xml")


def test_the_source_page_and_the_desk_say_the_host_is_backing_off_until_when_and_why(client, feed_server, polite):
    busy = SourceFactory(feed_url=feed_server.serve("/busy.xml", status=429, headers={"Retry-After": "600"}))
    other = feed_sources(feed_server, 1)[0]
    feed_poll(source=busy)
    editor = editor_client(client)

    page = editor.get(f"/admin/feeds/source/{other.pk}/change/").content.decode()
    desk = editor.get("/admin/").content.decode()

    assert "Host 127.0.0.1 is backing off until" in page and "asked us to slow down (HTTP 429" in page
    assert "Deferred" in page  # the recent fetches
    assert 'id="hosts-backing-off"' in desk and "127.0.0.1 until" in desk


def test_a_sources_user_agent_override_is_sent_for_its_feed_and_its_pages(feed_server, settings):
    page = feed_server.serve("/story.html", "<html><body><article><p>Story.</p></article></body></html>")
    items = [{"guid": "g0", "title": "Story", "content": "<p>Teaser.</p>", "link": page}]
    agent = "Mozilla/5.0 (compatible; HarbourReader/2.1)"
    SourceFactory(
        feed_url=feed_server.serve("/ft.xml", rss(*items)), content_mode=ContentMode.FULL_TEXT, user_agent=agent
    )
    ours = SourceFactory(feed_url=feed_server.serve("/plain.xml", file="feeds/rss20.xml"))
    call_command("pollfeeds", "--all", stdout=StringIO(), stderr=StringIO())

    assert [hit.headers["user-agent"] for hit in feed_server.hits("/ft.xml")] == [agent]
    assert [hit.headers["user-agent"] for hit in feed_server.hits("/story.html")] == [agent]
    [plain] = feed_server.hits("/plain.xml")
    assert plain.headers["user-agent"].startswith(f"{settings.SITE_NAME}/1.0") and ours.user_agent == ""


def test_the_user_agent_is_set_on_the_source_page_and_one_that_is_not_a_header_line_is_refused(client):
    source = SourceFactory()
    editor = editor_client(client)
    refused = editor.post(f"{SOURCES}{source.pk}/change/", _change_data(source, user_agent="Reader\r\nX-Injected: 1"))
    assert refused.status_code == 200 and "printable ASCII on one line" in refused.content.decode()
    source.refresh_from_db()
    assert source.user_agent == ""
    saved = editor.post(f"{SOURCES}{source.pk}/change/", _change_data(source, user_agent="HarbourReader/2.1"))
    assert saved.status_code == 302
    source.refresh_from_db()
    assert source.user_agent == "HarbourReader/2.1"


def test_waiting_for_a_turn_never_outlasts_the_poll_tasks_soft_time_limit(settings):
    from feeds.ingest.fetch import DEFAULT_LIMITS, _host_wait

    settings.FEEDS_HOST_WAIT_SECONDS = 120
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 60
    assert _host_wait(DEFAULT_LIMITS) + DEFAULT_LIMITS.deadline < 60


def test_a_429_from_a_host_is_a_fetch_error_carrying_the_pause_it_started(feed_server, polite):
    feed_server.serve("/busy.xml", status=429)
    with pytest.raises(FetchError) as error:
        fetch_feed(feed_server.url("/busy.xml"))
    pause = error.value.host_pause
    assert pause.host == "127.0.0.1" and pause.until > timezone.now() + timedelta(seconds=50)
    assert politeness.host_pause("127.0.0.1") == pause
