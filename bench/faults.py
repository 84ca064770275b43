"""Faults on the running system: each scenario breaks something for real, then compares the end
state with what a clean run stores. Prints what it did and the comparison; exits 1 if any differs.

    .venv/bin/python bench/faults.py                 # all scenarios
    .venv/bin/python bench/faults.py redis_down      # one (names below)
    FAULTS_OUTAGE_SECONDS=60 ...                     # broker outage length (default 60)
"""

import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402

from bench.feeds import bench_feeds, expected_posts  # noqa: E402
from bench.system import FeedServer, System, wait_until  # noqa: E402

RETRY_SECONDS = 5  # articles.popularity.outage.RETRY_SECONDS: how long the counter leaves a failed Redis alone

SOURCES, ENTRIES = 6, 15
OUTAGE_SECONDS = int(os.environ.get("FAULTS_OUTAGE_SECONDS", "60"))


@dataclass
class Outcome:
    name: str
    did: list[str] = field(default_factory=list)
    lost: str = "nothing"
    ok: bool = True
    problems: list[str] = field(default_factory=list)

    def step(self, text: str) -> None:
        self.did.append(text)
        print(f"  - {text}", flush=True)

    def check(self, condition: bool, problem: str) -> None:
        if not condition:
            self.ok = False
            self.problems.append(problem)
            print(f"  ! {problem}", flush=True)


def add_sources(system: System, server: FeedServer, sources: int) -> None:
    urls = [f"{server.base}s{i}.xml" for i in range(sources)]
    system.shell(
        "from feeds.models import Source\n"
        f"for i, url in enumerate({urls!r}):\n"
        "    Source.objects.update_or_create(feed_url=url, defaults={'name': f'Bench {i}', 'slug': f'bench-{i}'})"
    )


def stored_posts(system: System, server: FeedServer) -> list[tuple[str, str]]:
    code = (
        "import json\nfrom articles.models import Article\n"
        "print(json.dumps(list(Article.objects.values_list('source__feed_url', 'guid'))))"
    )
    rows = json.loads(system.shell(code).strip().splitlines()[-1])
    return [(url.removeprefix(server.base), guid) for url, guid in rows]


def compare_with_clean_run(outcome: Outcome, system: System, server: FeedServer, sources: int, entries: int) -> None:
    stored = stored_posts(system, server)
    expected = expected_posts(sources, entries)
    missing, extra = expected - set(stored), set(stored) - expected
    duplicates = len(stored) - len(set(stored))
    outcome.step(f"end state: {len(stored)} posts stored, clean run stores {len(expected)}")
    outcome.check(not missing, f"{len(missing)} posts missing, e.g. {sorted(missing)[:3]}")
    outcome.check(not extra, f"{len(extra)} unexpected posts")
    outcome.check(duplicates == 0, f"{duplicates} duplicate posts")


def enqueue_polls(system: System) -> None:
    system.shell(
        "from feeds.models import Source\nfrom feeds.tasks import poll_source\n"
        "for source in Source.objects.all(): poll_source.delay(source.id)"
    )


def post_count(system: System) -> int:
    return int(system.shell("from articles.models import Article; print(Article.objects.count())").split()[-1])


def make_all_due(system: System) -> None:
    """What the clock does for a backed-off source: it becomes due again."""
    system.shell(
        "from django.utils import timezone\nfrom feeds.models import Source\n"
        "Source.objects.update(next_poll_at=timezone.now())"
    )


def scenario_postgres_restart() -> Outcome:
    outcome = Outcome("PostgreSQL restarted while workers poll")
    server = FeedServer(bench_feeds(SOURCES, ENTRIES), delay_seconds=1.5)
    with System() as system:
        add_sources(system, server, SOURCES)
        system.start_worker(concurrency=2)
        enqueue_polls(system)
        outcome.step(f"queued {SOURCES} polls of slow feeds (1.5 s each) on a worker with 2 processes")
        wait_until(lambda: sum(server.hits.values()) >= 2, 30, "polls to start")
        system.postgres.restart()
        outcome.step("restarted PostgreSQL while 2 polls were in flight")
        wait_until(lambda: sum(server.hits.values()) >= SOURCES, 60, "every source to be fetched")
        time.sleep(5)
        outcome.step(f"posts after the first round: {post_count(system)}")
        make_all_due(system)
        system.shell("from feeds.tasks import poll_due_sources; poll_due_sources.delay()")
        outcome.step("let the clock pass the backoff, beat's poll_due_sources ran again")
        expected = SOURCES * ENTRIES
        wait_until(lambda: post_count(system) >= expected, 90, "the re-polls to store every post", interval=1)
        time.sleep(3)
        compare_with_clean_run(outcome, system, server, SOURCES, ENTRIES)
    server.close()
    return outcome


def scenario_worker_killed() -> Outcome:
    outcome = Outcome("worker process killed with SIGKILL mid-poll")
    server = FeedServer(bench_feeds(1, ENTRIES), delay_seconds=3)
    with System() as system:
        add_sources(system, server, 1)
        worker = system.start_worker(concurrency=1)
        wait_until(lambda: worker.children(), 30, "the worker's pool process")
        enqueue_polls(system)
        wait_until(lambda: server.hits.get("s0.xml", 0) >= 1, 30, "the poll to start")
        victim = worker.children()[0]
        os.kill(victim, signal.SIGKILL)
        outcome.step(f"SIGKILLed the pool process {victim} while it was fetching (acks_late: message not acked)")
        wait_until(lambda: post_count(system) >= ENTRIES, 90, "the task to run again", interval=1)
        outcome.step(f"the feed was fetched {server.hits['s0.xml']} times: the task ran again by itself")
        compare_with_clean_run(outcome, system, server, 1, ENTRIES)
    server.close()
    return outcome


def attempts_per_source(system: System) -> dict[str, int]:
    code = (
        "import json\nfrom django.db.models import Count\nfrom feeds.models import Source\n"
        "print(json.dumps(dict(Source.objects.annotate(n=Count('fetch_attempts')).values_list('slug', 'n'))))"
    )
    return json.loads(system.shell(code).strip().splitlines()[-1])


def scenario_broker_outage() -> Outcome:
    outcome = Outcome(f"broker unreachable for {OUTAGE_SECONDS} s")
    server = FeedServer(bench_feeds(SOURCES, ENTRIES))
    with System() as system:
        add_sources(system, server, SOURCES)
        system.shell(
            "from datetime import timedelta\nfrom django.utils import timezone\nfrom feeds.models import Source\n"
            "Source.objects.update(next_poll_at=timezone.now() + timedelta(seconds=20))"
        )
        system.start_worker(concurrency=2)
        system.start_beat()
        outcome.step("worker and beat running; every source becomes due 20 s from now")
        time.sleep(3)
        system.redis.stop()
        outcome.step(f"stopped Redis (the broker) for {OUTAGE_SECONDS} s; sources fell due meanwhile")
        time.sleep(OUTAGE_SECONDS)
        system.redis.start()
        outcome.step("started Redis again; worker and beat were not restarted")
        wait_until(lambda: all(attempts_per_source(system).values()), 150, "every source to be polled", interval=2)
        time.sleep(65)
        counts = attempts_per_source(system)
        outcome.step(f"fetch attempts per source one beat tick later: {sorted(counts.values())}")
        outcome.check(all(n == 1 for n in counts.values()), f"sources polled more than once: {counts}")
        compare_with_clean_run(outcome, system, server, SOURCES, ENTRIES)
    server.close()
    return outcome


def browse(system: System, paths: list[str], visitors: range) -> tuple[int, int]:
    """GET each post page once per visitor (distinct user agents and addresses); returns (200s, other statuses)."""
    ok = bad = 0
    for visitor in visitors:
        for path in paths:
            agent, address = f"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0 visitor-{visitor}", f"10.0.0.{visitor}"
            status = system.get_as(path, agent, address=address)
            ok, bad = (ok + 1, bad) if status == 200 else (ok, bad + 1)
    return ok, bad


def post_paths(system: System, limit: int) -> list[str]:
    code = (
        "from articles.models import Article\n"
        f"print(' '.join(a.get_absolute_url() for a in Article.objects.published()[:{limit}]))"
    )
    return system.shell(code).split()


def total_views(system: System) -> int:
    code = (
        "from django.db.models import Sum\nfrom articles.models import Article\n"
        "print(Article.objects.aggregate(t=Sum('total_views'))['t'] or 0)"
    )
    return int(system.shell(code).split()[-1])


def scenario_redis_down() -> Outcome:
    outcome = Outcome("Redis stopped while readers browse")
    server = FeedServer(bench_feeds(2, 10))
    with System() as system:
        add_sources(system, server, 2)
        system.manage("pollfeeds", "--all")
        web = system.start_web()
        paths = post_paths(system, 5)
        ok, bad = browse(system, paths, range(10))
        outcome.step(f"Redis up: {ok} post views answered 200, {bad} not")
        outcome.check(bad == 0, f"{bad} requests failed with Redis up")
        system.redis.stop()
        ok_down, bad_down = browse(system, paths, range(10, 20))
        outcome.step(f"Redis stopped: {ok_down} post views answered 200, {bad_down} not; home: {system.get('/')}")
        outcome.check(bad_down == 0, f"{bad_down} requests failed while Redis was down")
        system.redis.start()
        time.sleep(RETRY_SECONDS + 1)
        ok_after, _ = browse(system, paths, range(20, 30))
        outcome.step(
            f"Redis started again (web not restarted); after the counter's {RETRY_SECONDS} s retry pause, "
            f"{ok_after} more post views"
        )
        system.manage("flushviews")
        counted = total_views(system)
        made_up = ok + ok_after
        outcome.step(
            f"after a flush: {counted} views counted; made while Redis was up: {made_up}; made while down: {ok_down}"
        )
        outcome.check(counted == made_up, f"counted {counted} views, expected exactly {made_up}")
        reported = sum(int(n) for n in re.findall(r"Redis is back; (\d+) views were dropped", web.log.read_text()))
        outcome.step(f"the web processes logged {reported} views dropped while Redis was unreachable")
        outcome.check(reported == ok_down, f"the site reported {reported} dropped views, {ok_down} were made")
        outcome.lost = f"the {ok_down} views made while Redis was down, each counted as lost in the log"
        keys = system.redis_keys()
        outcome.step(f"Redis holds {keys} keys again (page cache and counters resumed)")
        outcome.check(keys > 0, "nothing cached or counted after Redis came back")
    server.close()
    return outcome


def scenario_flush_killed() -> Outcome:
    outcome = Outcome("view flush killed mid-way")
    server = FeedServer(bench_feeds(20, 50))
    with System() as system:
        add_sources(system, server, 20)
        system.manage("pollfeeds", "--all")
        counter = redis.Redis(port=system.redis.port)
        recorded, kills = 0, []
        for delay in (0.0, 0.01, 0.02, 0.04, 0.07, 0.1, 0.15):
            recorded += pend_views(system)
            if kill_flush_after_it_starts(system, counter, delay, name=f"flush-{len(kills)}"):
                kills.append(f"{delay:.2f}")
        outcome.step(
            f"7 rounds of 20 views on each of 1000 posts; each flush SIGKILLed {', '.join(kills)} s after it "
            "took or finished a batch in Redis (before, during and after its database transaction)"
        )
        outcome.check(len(kills) >= 4, f"only {len(kills)} kills landed inside a flush")
        system.manage("flushviews")
        counted = total_views(system)
        outcome.step(f"after one clean flush: {counted} views counted of {recorded} recorded")
        outcome.check(counted == recorded, f"counted {counted}, recorded {recorded}")
    server.close()
    return outcome


def kill_flush_after_it_starts(system: System, counter: redis.Redis, delay: float, *, name: str) -> bool:
    """Start a flush, wait until it changes the in-flight batches in Redis, SIGKILL it `delay` s later."""
    before = counter.smembers(IN_FLIGHT_SET)
    process = system.start(name, [sys.executable, "manage.py", "flushviews"])
    wait_until(
        lambda: counter.smembers(IN_FLIGHT_SET) != before or process.popen.poll() is not None,
        60,
        "a flush",
        interval=0.002,  # a flush's Redis work takes milliseconds: look often enough to catch it
    )
    time.sleep(delay)
    killed = process.popen.poll() is None
    if killed:
        os.kill(process.pid, signal.SIGKILL)
    process.popen.wait(10)
    return killed


def pend_views(system: System) -> int:
    """Twenty views of each post, as the request path leaves them in Redis; returns how many."""
    return int(system.shell(PEND_VIEWS).split()[-1])


PEND_VIEWS = """
from django.utils import timezone
from articles.popularity import counter as view_counter
from articles.models import Article
today = timezone.localdate()
pipe = view_counter.counter_client().pipeline(transaction=False)
ids = list(Article.objects.values_list('id', flat=True))
for article_id in ids:
    pipe.hincrby(view_counter.PENDING_KEY, view_counter.count_field(article_id, today), 20)
    pipe.pfadd(view_counter.visitors_key(today, article_id), *[f'v{n}' for n in range(20)])
pipe.execute()
print(20 * len(ids))
"""
IN_FLIGHT_SET = "newsblog:views:inflight"  # articles.popularity.counter.INFLIGHT_SET_KEY


SCENARIOS = {
    "redis_down": scenario_redis_down,
    "postgres_restart": scenario_postgres_restart,
    "worker_killed": scenario_worker_killed,
    "broker_outage": scenario_broker_outage,
    "flush_killed": scenario_flush_killed,
}


def main(names: list[str]) -> int:
    outcomes = []
    for name in names or list(SCENARIOS):
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        outcome = SCENARIOS[name]()
        outcome.did.append(f"took {time.monotonic() - started:.0f} s")
        outcomes.append(outcome)
        print(f"  => {'same end state as a clean run' if outcome.ok else 'DIFFERS: ' + '; '.join(outcome.problems)}")
    print("\n| fault | result | lost |\n| --- | --- | --- |")
    for outcome in outcomes:
        print(
            f"| {outcome.name} | {'ok' if outcome.ok else 'FAILED: ' + '; '.join(outcome.problems)} | {outcome.lost} |"
        )
    return 0 if all(outcome.ok for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
