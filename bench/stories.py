"""Story identity benchmark: precision and recall on a labelled set, the identity check's cost, ingest's slowdown.

    DATABASE_URL=postgres://... .venv/bin/python bench/stories.py [--index-posts 100000] [--feeds 40]

1. A labelled set (bench/story_set.py, seeded, so every run builds the same one): the same article as served by
   several sites, and different articles on the same topic (the hard negatives). Every article is stored through
   the real store stage, one poll per copy, oldest first; the stories it ends with are compared with the labels,
   pair by pair: precision = merged pairs that are one story / merged pairs, recall = merged pairs that are one
   story / pairs that are one story. It also prints the estimated-Jaccard sweep used to calibrate the threshold.
2. The identity check's cost for one new entry, with --index-posts posts (random signatures and bands, all within
   the 72-hour window) in the index: from the entry's URL key to the end of the story step (MinHash signature and
   band keys, then one round trip on PostgreSQL: the story lock, the URL key lookup, the band lookup with the
   candidates' signatures and the index insert; then the confirmation). Printed as the median and p90 wall-clock
   time over 300 entries (the target: median <= 2 ms), this process's CPU time for the same (what a busy shared
   machine does not inflate), and the cost per entry when a feed's 50 entries are checked together, as a poll does.
3. The first poll of 40 feeds x 50 entries, one worker, merging off and on in turn on fresh sources (a first run
   not counted): entries/s (medians), this process's CPU per entry, and the drop (the target: <= 10%). The feeds are
   news-shaped (bench/story_feeds.py: each entry a story of its own, 15% a story an earlier feed carried); then,
   labelled as the worst case, bench/ingest.py's one-template feeds, where every entry is a near-copy of every other
   (--skip worst-case leaves that line out).

Re-run one part alone: --skip quality --skip ingest (the identity check only), --skip cost --skip ingest, etc.
"""

import argparse
import itertools
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import setup_django  # noqa: E402
from bench.measure import NotMeasured, not_measured  # noqa: E402
from bench.story_set import build_set  # noqa: E402

PREFIX = "story-bench-"
# The identity check's 100,000 filler posts: not under PREFIX, so that --keep-index can keep them between runs.
FILLER_SLUG = "story-index-filler"


def store_set(articles) -> dict[int, int]:
    """Store every article of the set through the store stage; labelled index -> the post leading its story."""
    from django.db import transaction
    from django.utils import timezone

    from articles.models import Article
    from feeds.ingest.parse import ParsedEntry
    from feeds.ingest.store import PreparedEntry, store_entries_tolerant
    from feeds.models import Source

    sources = {}
    for site in sorted({article.site for article in articles}):
        sources[site] = Source.objects.create(name=site, slug=PREFIX + site, feed_url=f"https://{site}/feed.xml")
    for n, article in enumerate(sorted(articles, key=lambda a: a.published_at)):
        parsed = ParsedEntry(
            guid=f"{PREFIX}{article.index}",
            url=article.url,
            title=article.title,
            author="",
            content_html=article.body_html,
            content_base=article.url,
            published_at=article.published_at,
            raw_hash=f"{n}",
        )
        entry = PreparedEntry(parsed=parsed, body_html=article.body_html, excerpt="", image_url="")
        with transaction.atomic():
            store_entries_tolerant(source=sources[article.site], entries=[entry], now=timezone.now())
    rows = Article.objects.filter(source__slug__startswith=PREFIX).values_list("guid", "id", "story_lead_id")
    return {int(guid.removeprefix(PREFIX)): lead or pk for guid, pk, lead in rows}


def pair_scores(truth: dict[int, int], predicted: dict[int, int]) -> tuple[float, float, int, int, int]:
    """(precision, recall, true pairs, merged pairs, merged pairs that are one story) over every pair."""
    true_pairs = merged = right = 0
    for a, b in itertools.combinations(sorted(truth), 2):
        same, joined = truth[a] == truth[b], predicted[a] == predicted[b]
        true_pairs += same
        merged += joined
        right += same and joined
    return (right / merged if merged else 1.0), (right / true_pairs if true_pairs else 1.0), true_pairs, merged, right


def quality(articles) -> None:
    from feeds.models import Source

    Source.objects.filter(slug__startswith=PREFIX).delete()
    truth = {article.index: article.story for article in articles}
    stories, sites = len(set(truth.values())), len({article.site for article in articles})
    print(f"Labelled set: {len(articles)} articles, {stories} stories, {sites} sites")
    predicted = store_set(articles)
    precision, recall, true_pairs, merged, right = pair_scores(truth, predicted)
    print(
        f"  pairs: {true_pairs} of one story, {merged} merged, {right} of them right -> "
        f"precision {precision:.3f} (target >= 0.99), recall {recall:.3f} (target >= 0.90)"
    )
    by_kind = {}
    for article in articles:
        if article.kind != "original":
            hit = predicted[article.index] == predicted[article.original]
            by_kind.setdefault(article.kind, []).append(hit)
    print("  copies joined to their original, by how they differ: ", end="")
    print(", ".join(f"{kind} {sum(hits)}/{len(hits)}" for kind, hits in sorted(by_kind.items())))
    calibration_sweep(articles)
    Source.objects.filter(slug__startswith=PREFIX).delete()


def calibration_sweep(articles) -> None:
    """Estimated Jaccard of every cross-site pair sharing an LSH band: how many are one story, per threshold."""
    from feeds.ingest.identity import estimated_similarity, signature_bands, text_signature

    signatures = {a.index: text_signature(a.title, a.body_html) for a in articles}
    bands = {index: set(signature_bands(signature)) for index, signature in signatures.items()}
    scored = []
    for a, b in itertools.combinations(articles, 2):
        if a.site != b.site and bands[a.index] & bands[b.index]:
            scored.append((estimated_similarity(signatures[a.index], signatures[b.index]), a.story == b.story))
    print(f"  calibration, {len(scored)} cross-site candidate pairs (text alone, no URL rule):")
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        kept = [same for similarity, same in scored if similarity >= threshold]
        same_total = sum(same for _s, same in scored)
        precision = sum(kept) / len(kept) if kept else 1.0
        recall = sum(kept) / same_total if same_total else 1.0
        print(f"    Jaccard >= {threshold:.1f}: {len(kept)} kept, precision {precision:.3f}, recall {recall:.3f}")
    negatives = sorted((s for s, same in scored if not same), reverse=True)[:3]
    positives = sorted(s for s, same in scored if same)[:3]
    print(f"    highest different-story pairs {negatives}; lowest same-story pairs {positives}")


def fill_index(count: int) -> None:
    """count posts in the index, all within the 72-hour window, with random signatures and bands (no text needed:
    random bands are what 100,000 unrelated stories' bands look like to the lookup). The posts go in through the
    ORM; their signatures and bands are drawn by the database itself, which is a hundred times faster than
    building 1.6 million band rows in Python."""
    from django.db import connection
    from django.utils import timezone

    from articles.models import Article
    from feeds.ingest.identity import BAND_NUMBER_SHIFT, BANDS, EMPTY_BIN, SIGNATURE_SIZE
    from feeds.models import Source

    source = Source.objects.create(name="index filler", slug=FILLER_SLUG, feed_url="https://index.example/f")
    rng, now = random.Random(16), timezone.now()
    for start in range(0, count, 5000):
        posts = [
            Article(
                source=source,
                guid=f"{PREFIX}fill-{n}",
                url=f"https://index.example/{n}",
                title=f"Filler {n}",
                slug=f"{PREFIX}fill-{n}",
                published_at=now - timedelta(minutes=rng.randrange(72 * 60)),
                url_year=2026,
                url_month=1,
                story_key=f"{n:032x}",
            )
            for n in range(start, min(count, start + 5000))
        ]
        # In batches that stay under the 65,535 parameters a statement may bind (server-side binding is on by default).
        Article.objects.bulk_create(posts, batch_size=1000)
    with connection.cursor() as cursor:
        # Bins of 26-bit values, as text_signature's; "a.id IS NOT NULL" ties the subquery to its row, so each post
        # draws its own signature instead of PostgreSQL computing one for all.
        cursor.execute(
            "INSERT INTO articles_storysignature (article_id, source_id, published_at, signature) "
            "SELECT a.id, a.source_id, a.published_at, (SELECT decode(string_agg(lpad(to_hex((random() * %s)::bigint), "
            "16, '0'), ''), 'hex') FROM generate_series(1, %s) WHERE a.id IS NOT NULL) "
            "FROM articles_article AS a WHERE a.source_id = %s",
            [EMPTY_BIN, SIGNATURE_SIZE, source.pk],
        )
        cursor.execute(
            "INSERT INTO articles_storyband (article_id, band, published_at) "
            "SELECT a.id, (band - 1) << %s | (random() * %s)::bigint, a.published_at "
            "FROM articles_article AS a CROSS JOIN generate_series(1, %s) AS band WHERE a.source_id = %s",
            [BAND_NUMBER_SHIFT, (1 << BAND_NUMBER_SHIFT) - 1, BANDS, source.pk],
        )


def filled_index(count: int) -> str:
    """fill_index(count), unless a run with --keep-index left that many filler posts; says which."""
    from articles.models import Article
    from feeds.models import Source

    filler = Source.objects.filter(slug=FILLER_SLUG).first()
    if filler is not None and Article.objects.filter(source=filler).count() == count:
        return "kept from an earlier run with --keep-index"
    Source.objects.filter(slug=FILLER_SLUG).delete()
    started = time.perf_counter()
    fill_index(count)
    return f"filled in {time.perf_counter() - started:.0f} s"


def vacuum_story_tables() -> None:
    """VACUUM ANALYZE the posts' and the story index's tables, as autovacuum does on its own in production (it may
    be off on a bench machine): the runs before deleted their posts, whose dead index entries would otherwise be
    walked by every lookup and by the planner."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("articles_article", "articles_storysignature", "articles_storyband"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def identity_cost(articles, index_posts: int, *, keep_index: bool) -> None:
    from django.db import transaction
    from django.utils import timezone

    from articles.models import Article
    from articles.stories import stories_attach
    from feeds.ingest.identity import NEAR_COPIES, story_key
    from feeds.models import Source

    Source.objects.filter(slug__startswith=PREFIX).delete()
    how = filled_index(index_posts)
    vacuum_story_tables()
    print(f"\nIdentity check with {index_posts} posts in the window's index ({how}):")
    source = Source.objects.create(name="newcomer", slug=PREFIX + "new", feed_url="https://new.example/f")
    costs, cpu_costs = [], []

    def new_post(article):
        """A new entry as the store has inserted it, before its story step."""
        return Article.objects.create(
            source=source,
            guid=f"{PREFIX}new-{article.index}",
            url=article.url,
            title=article.title,
            body_html=article.body_html,
            slug=f"{PREFIX}new-{article.index}",
            published_at=timezone.now(),
        )

    for article in articles[:300]:
        with transaction.atomic():
            post = new_post(article)
            begun, begun_cpu = time.perf_counter(), time.process_time()
            post.story_key = story_key(post.url)
            stories_attach(articles=[post], by_text=NEAR_COPIES)
            costs.append(time.perf_counter() - begun)
            cpu_costs.append(time.process_time() - begun_cpu)
            transaction.set_rollback(True)
    batch_costs, batch_cpu = [], []
    for start in range(0, 300, 50):
        with transaction.atomic():
            posts = [new_post(article) for article in articles[start : start + 50]]
            begun, begun_cpu = time.perf_counter(), time.process_time()
            for post in posts:
                post.story_key = story_key(post.url)
            stories_attach(articles=posts, by_text=NEAR_COPIES)
            batch_costs.append((time.perf_counter() - begun) / len(posts))
            batch_cpu.append((time.process_time() - begun_cpu) / len(posts))
            transaction.set_rollback(True)
    costs.sort()
    print(
        f"  one new entry: median {statistics.median(costs) * 1000:.2f} ms, p90 "
        f"{costs[int(len(costs) * 0.9)] * 1000:.2f} ms wall over {len(costs)} entries (target median <= 2 ms); "
        f"this process's CPU median {statistics.median(cpu_costs) * 1000:.2f} ms"
    )
    print(
        "    (URL key, signature and bands, one round trip: lock, key lookup, band lookup and index insert; "
        "confirmation. Wall minus CPU is the database's time and the wait for it, which a busy machine inflates)"
    )
    print(
        f"  per entry when a feed's 50 new entries are checked together (as a poll does): median "
        f"{statistics.median(batch_costs) * 1000:.2f} ms wall, {statistics.median(batch_cpu) * 1000:.2f} ms CPU"
    )
    Source.objects.filter(slug__startswith=PREFIX).delete()
    if not keep_index:
        Source.objects.filter(slug=FILLER_SLUG).delete()


def ingest_drop(feeds: int, entries: int, rounds: int, *, worst_case: bool) -> None:
    """The first poll of news-shaped feeds (bench/story_feeds.py) with merging off and on, alternated on fresh
    sources; then, with worst_case, the same for bench/ingest.py's one-template feeds."""
    from bench.ingest import build_feeds
    from bench.story_feeds import REPEATED, story_feeds

    print(
        f"\nFirst poll, {feeds} feeds x {entries} entries, one worker, merging off and on alternated, {rounds} runs "
        "each (target: drop <= 10%; the machine is shared, so runs vary by several %):"
    )
    bodies = story_feeds(feeds, entries)
    drop_line(
        bodies,
        feeds * entries,
        rounds,
        f"news-shaped feeds (bench/story_feeds.py: distinct stories, {REPEATED:.0%} repeated across feeds)",
    )
    if worst_case:
        bodies = build_feeds(feeds, entries, "news")
        bodies.pop("/big.xml")
        label = "worst case, not the target's: bench/ingest.py's feeds, every entry a near-copy of every other"
        drop_line(bodies, feeds * entries, rounds, label)


def drop_line(bodies: dict[str, bytes], expected: int, rounds: int, label: str) -> None:
    """Serve bodies, poll them all rounds * 2 times on fresh sources, merging off and on in turn; print the drop."""
    import multiprocessing

    from bench.ingest import serve
    from feeds.ingest import store
    from feeds.models import Source

    mode, ports = multiprocessing.Value("i", 1), multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(bodies, ports, mode), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    merging = store.stories_attach
    rates: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    step: list[list[float]] = []  # the story step's [wall, CPU] seconds of each run with merging on
    merged = 0

    def timed_merging(**kwargs):
        begun, begun_cpu = time.perf_counter(), time.process_time()
        try:
            return merging(**kwargs)
        finally:
            step[-1][0] += time.perf_counter() - begun
            step[-1][1] += time.process_time() - begun_cpu

    try:
        # A first run, not counted, warms the database's caches and the server; then off and on take turns.
        for run in range(-1, rounds * 2):
            state = "off" if run % 2 == 0 else "on"
            store.stories_attach = (lambda **kwargs: 0) if state == "off" else timed_merging
            step.append([0.0, 0.0])
            result = poll_fresh(bodies, port)
            if result.stored != expected:
                raise NotMeasured(f"the first poll stored {result.stored} of {expected} entries")
            if run < 0 or state == "off":
                step.pop()
            if run >= 0:
                rates[state].append(result.stored / sum(result.seconds))
                cpu[state].append(result.cpu_seconds / result.stored * 1000)
            if state == "on":
                merged = copies_stored()
    finally:
        store.stories_attach = merging
        Source.objects.filter(slug__startswith="bench-").delete()
        server.terminate()
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    cpu_off, cpu_on = statistics.median(cpu["off"]), statistics.median(cpu["on"])
    print(f"  {label}:")
    print(f"    merging off {off:.0f} entries/s {[round(r) for r in rates['off']]}, CPU {cpu_off:.2f} ms/entry")
    print(
        f"    merging on  {on:.0f} entries/s {[round(r) for r in rates['on']]}, CPU {cpu_on:.2f} ms/entry; "
        f"{merged} of {expected} entries merged into an earlier one's story"
    )
    step_wall = statistics.median(wall for wall, _cpu in step) / expected * 1000
    step_cpu = statistics.median(cpu for _wall, cpu in step) / expected * 1000
    print(
        f"    drop {(off - on) / off:.1%} in entries/s (medians); this process's CPU per entry "
        f"{(cpu_on - cpu_off) / cpu_off:+.1%} (the database's own work shows in entries/s only)"
    )
    print(
        f"    the story step itself, timed inside the polls: {step_wall:.2f} ms/entry wall, {step_cpu:.2f} ms CPU, "
        f"= {step_wall / (1000 / on):.1%} of a merging poll's time per entry (steadier than the drop on a shared "
        "machine)"
    )


def poll_fresh(bodies: dict[str, bytes], port: int):
    """A first poll of every feed in bodies, on new sources, in the feeds' order (repeats follow their originals)."""
    from bench.ingest import poll_all
    from feeds.models import Source

    Source.objects.filter(slug__startswith="bench-").delete()
    vacuum_story_tables()
    paths = sorted(bodies, key=lambda path: int(path.rsplit("/", 1)[1].split(".")[0]))
    sources = [
        Source.objects.create(name=f"bench {n}", slug=f"bench-{n}", feed_url=f"http://127.0.0.1:{port}{path}")
        for n, path in enumerate(paths)
    ]
    return poll_all(sources)


def copies_stored() -> int:
    """How many of the bench sources' posts are copies of a story."""
    from articles.models import Article

    return Article.objects.filter(source__slug__startswith="bench-", story_lead__isnull=False).count()


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-posts", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--keep-index",
        action="store_true",
        help="keep the identity check's filler posts for the next run, which then reuses them (saves minutes)",
    )
    parser.add_argument(
        "--skip",
        choices=["quality", "cost", "ingest", "worst-case"],
        action="append",
        default=[],
        help="leave a part out (repeatable); worst-case: the ingest drop on bench/ingest.py's one-template feeds",
    )
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection

    print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']})")
    articles = build_set()
    if "quality" not in args.skip:
        quality(articles)
    if "cost" not in args.skip:
        identity_cost(articles, args.index_posts, keep_index=args.keep_index)
    if "ingest" not in args.skip:
        ingest_drop(args.feeds, args.entries, args.rounds, worst_case="worst-case" not in args.skip)


def main() -> int:
    try:
        run(sys.argv[1:])
    except NotMeasured as error:
        return not_measured(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
