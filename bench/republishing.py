"""Republishing-rules benchmark lines (issue 15), printed by bench/ingest.py (or alone with --republishing-only):

- rule evaluation per entry with 50 keep/block rules on RE2 (target <= 0.05 ms);
- full text: fetch + extract + sanitize per article, median and p95, over generated news pages of 50-500 KB served
  from loopback (politeness spacing off: this measures the work, not the 1 s wait between starts to one host);
- extraction quality on those pages: token precision, recall and F1 of the stored text against the article text
  put in them (target F1 >= 0.90), and how many pages kept script, style, navigation or other boilerplate text;
- extraction memory: peak RSS of a fresh process extracting and sanitizing a 5 MiB page (target < 250 MB).
"""

import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.measure import NotMeasured
from bench.news_pages import BOILERPLATE_MARKERS, SCRIPT_MARKER, STYLE_MARKER, news_page

ROOT = Path(__file__).resolve().parent.parent
RULES = 50
RULE_ENTRIES = 2000
PAGES = 60
MEMORY_PAGE_BYTES = 5 * 1024 * 1024 - 64 * 1024  # just under the 5 MiB page cap
MEMORY_PAGES = {
    "data": "inlined JSON state and SVG icons (as big pages mostly are)",
    "menus": "dense link menus (the parser's worst case)",
}
TOKEN = str.maketrans("", "", ".,;:!?\"'()")


def _rules() -> tuple[str, str]:
    """50 rules as editors write them: phrases, field prefixes and regular expressions."""
    words = ["harbour", "ferry", "council", "storm", "budget", "election", "museum", "festival", "railway", "rents"]
    keep = [*words] + [f"title:{w} {v}" for w, v in zip(words, reversed(words), strict=True)]
    keep += [f"re:\\b{w[:4]}\\w*\\s+(report|inquiry)\\b" for w in words]
    block = [f"category:{w}" for w in ("sport", "horoscope", "advertorial", "sponsored", "quiz")]
    block += [f"content:re:(?i)sponsored\\s+by\\s+{w}" for w in words]
    block += ["author:press release", "re:^Quiz:", "paid partnership", "title:live blog", "re:\\bodds\\b"]
    if len(keep) + len(block) != RULES:
        raise ValueError(f"{len(keep) + len(block)} rules, not {RULES}")
    return "\n".join(keep), "\n".join(block)


def rule_evaluation() -> None:
    from feeds.ingest.parse import ParsedEntry
    from feeds.ingest.rules import entry_text, rule_set

    rng = random.Random(15)
    entries = []
    for n in range(RULE_ENTRIES):
        page = news_page(n, min_words=300, max_words=900)
        paragraphs = page.article_text.split("\n")
        content = "".join(f"<p>{p}</p>" for p in paragraphs[1:])
        entries.append(
            ParsedEntry(
                guid=str(n),
                url=f"https://news.example.com/{n}",
                title=paragraphs[0],
                author="A. Writer",
                content_html=content,
                content_base="https://news.example.com/",
                published_at=datetime.now(UTC),
                categories=[rng.choice(["local", "world", "sport"])],
            )
        )
    keep, block = _rules()
    started = time.perf_counter()
    rules = rule_set(keep_rules=keep, block_rules=block)
    compile_ms = (time.perf_counter() - started) * 1000
    texts = [entry_text(each) for each in entries]
    started = time.perf_counter()
    taken = sum(rules.takes(text) for text in texts)
    evaluate_ms = (time.perf_counter() - started) * 1000 / len(texts)
    started = time.perf_counter()
    for each in entries:
        rules.takes(entry_text(each))
    with_text_ms = (time.perf_counter() - started) * 1000 / len(entries)
    chars = statistics.mean(len(text.content) for text in texts)
    print(
        f"\nRules: {RULES} rules (RE2) on {len(entries)} entries of {chars:,.0f} characters: "
        f"{evaluate_ms:.4f} ms/entry (target <= 0.05 ms), {with_text_ms:.4f} ms/entry with the markup stripped "
        f"first; compile {compile_ms:.1f} ms per poll; {taken} taken"
    )


class _Pages(BaseHTTPRequestHandler):
    pages: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 - the http.server name
        body = self.pages.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


def _tokens(text: str) -> Counter:
    return Counter(word.lower().translate(TOKEN) for word in text.split())


def full_text() -> None:
    from feeds.ingest.extract import full_text as fetch_full_text
    from feeds.ingest.extract import visible_text
    from untrusted.sanitize import sanitize_html

    rng = random.Random(1515)
    pages = [news_page(1000 + n, padding_kb=rng.randint(30, 470)) for n in range(PAGES)]
    _Pages.pages = {f"/story/{n}.html": page.html.encode() for n, page in enumerate(pages)}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    timings, common, got_total, want_total, leaky = [], 0, 0, 0, 0
    for n, page in enumerate(pages):
        url = f"http://127.0.0.1:{server.server_address[1]}/story/{n}.html"
        started = time.perf_counter()
        found = fetch_full_text(url, wait=30)
        body = sanitize_html(found.html, base_url=url)
        timings.append((time.perf_counter() - started) * 1000)
        if found.error:
            raise NotMeasured(f"full text of {url} failed: {found.error}")
        text = visible_text(body)
        got, want = _tokens(text), _tokens(page.article_text)
        common += sum((got & want).values())
        got_total, want_total = got_total + sum(got.values()), want_total + sum(want.values())
        leaky += any(marker in text for marker in (*BOILERPLATE_MARKERS, SCRIPT_MARKER, STYLE_MARKER))
    server.shutdown()
    sizes = sorted(len(body) / 1024 for body in _Pages.pages.values())
    p95 = statistics.quantiles(timings, n=20)[-1]
    precision, recall = common / got_total, common / want_total
    f1 = 2 * precision * recall / (precision + recall)
    print(
        f"\nFull text: {PAGES} generated news pages of {sizes[0]:.0f}-{sizes[-1]:.0f} KB from loopback, fetch + "
        f"extract + sanitize: median {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms per article"
    )
    print(
        f"  quality: token precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}"
        f" (target >= 0.90); pages keeping script/style/nav/ads/comments text: {leaky} of {PAGES} (target 0)"
    )


def memory() -> None:
    """In a fresh process each: peak RSS of extracting and sanitizing one 5 MiB page of each kind."""
    for kind in MEMORY_PAGES:
        subprocess.run([sys.executable, "-m", "bench.republishing", "--memory", kind], check=True, cwd=ROOT)


def _memory_run() -> None:
    from bench.ingest import high_water_mb, setup_django

    setup_django()
    from feeds.ingest.extract import extract_article
    from untrusted.sanitize import sanitize_html

    kind = sys.argv[sys.argv.index("--memory") + 1]
    page = news_page(5, padding_kb=MEMORY_PAGE_BYTES // 1024 - 150, padding=kind).html.encode()
    if len(page) > MEMORY_PAGE_BYTES:
        raise NotMeasured(f"the {kind} page came out at {len(page)} bytes, over the 5 MiB cap")
    before = high_water_mb()
    article = extract_article(page, url="https://news.example.com/big")
    body = sanitize_html(article, base_url="https://news.example.com/")
    if len(body) < 5000:
        raise NotMeasured(f"the article was not found on the {kind} page ({len(body)} bytes stored)")
    size, stored = len(page) / 2**20, len(body) / 1024
    print(
        f"  extraction memory, a {size:.2f} MiB page padded with {MEMORY_PAGES[kind]}: {stored:.0f} KB stored, "
        f"peak RSS {high_water_mb():.0f} MB (target < 250 MB; {before:.0f} MB before the page)"
    )


def run_all() -> None:
    rule_evaluation()
    full_text()
    memory()


if __name__ == "__main__":
    if "--memory" in sys.argv:
        _memory_run()
