"""Feeds shaped like a news site's sources, for the cost of merging stories at ingest (bench/stories.py).

bench/ingest.py's feeds are all made from one template, so every entry is a near-copy of every other: the worst case
for the text rule (every entry shares bands with hundreds of stored posts), not the real shape. Here each entry is a
story of its own, in words drawn from a vocabulary of some 6,000 (function words often, the rest rarely, as in
prose), wrapped in the same kind of CMS markup as bench/ingest.py's (classes, inline styles, srcset, tracking links
and pixels, a script), about 3 KB an entry. REPEATED of the entries carry a story an earlier feed carried, as
publishers and papers running wire copy do: a third under the publisher's same address (the URL rule finds them),
the rest under another address with the same text, a changed headline, the last paragraph dropped or an "Additional
reporting by" line (the text rule finds them). Deterministic for a seed; entries are dated within the last two days,
so copies fall within the text rule's 72-hour window.
"""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

REPEATED = 0.15
# The commonest words of English news prose, drawn most often.
FUNCTION_WORDS = (  # noqa: SIM905 - 90 words read better as prose than as a list
    "the of and to a in that is for on was with he it as at by said his be from are have has but not were they "
    "this an which had their been also who after its more than would about there will when new two over one up "
    "out last year into could some most told first three before where while under"
).split()
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou", "ar", "en", "or")]

BLOCKS = (
    '<p class="has-drop-cap">{text} <a href="https://{host}/tag/{word}/?utm_source=rss&amp;utm_medium=rss'
    '&amp;utm_campaign={slug}" rel="tag">{word}</a></p>',
    '<p><span style="font-weight: 400;">{text}</span> <em><span style="font-weight: 400;">{short}</span></em></p>',
    '<p>{text} <a href="https://{host}/{slug}/background/" target="_blank" rel="noopener">{word}</a>.</p>',
    '<blockquote class="wp-block-quote"><p>&#8220;{short}&#8221;</p><cite>{word}</cite></blockquote><p>{text}</p>',
)
FIGURE = (
    '<figure class="wp-block-image size-large"><img decoding="async" loading="lazy" width="1024" height="576" '
    'src="https://{host}/wp-content/uploads/2026/10/{slug}-1024x576.jpg" alt="{short}" srcset="https://{host}/'
    "wp-content/uploads/2026/10/{slug}-1024x576.jpg 1024w, https://{host}/wp-content/uploads/2026/10/{slug}-300x169"
    '.jpg 300w" sizes="(max-width: 1024px) 100vw, 1024px" /><figcaption class="wp-element-caption">{short}. Photo: '
    '<a href="/author/{word}/">{word}</a></figcaption></figure>'
)
FOOTER = (
    '<p>The post <a rel="nofollow" href="https://{host}/{slug}/">{title}</a> appeared first on <a rel="nofollow" '
    'href="https://{host}">{site}</a>.</p><script>window.trackView && trackView("{slug}")</script><img '
    'src="https://pixel.wp.com/b.gif?host={host}&amp;post={slug}" alt="" width="1" height="1" />'
)


class Words:
    """A seeded vocabulary: function words often, some 6,000 made-up content words each rarely."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        content = sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(6500)})
        self.words = FUNCTION_WORDS + content
        # Zipf-like: the word of rank r is drawn with weight 1 / (r + 1).
        self.weights = [1 / (rank + 1) for rank in range(len(self.words))]

    def sentence(self, count: int) -> str:
        words = self.rng.choices(self.words, self.weights, k=count)
        return " ".join(words).capitalize() + "."

    def word(self) -> str:
        return self.rng.choice(self.words[len(FUNCTION_WORDS) :])


class Story:
    def __init__(self, words: Words, published: datetime):
        self.title = words.sentence(words.rng.randint(6, 10)).rstrip(".")
        self.paragraphs = [
            " ".join(words.sentence(words.rng.randint(8, 22)) for _ in range(words.rng.randint(2, 4)))
            for _ in range(words.rng.randint(3, 6))
        ]
        self.words = [words.word() for _ in range(4)]
        self.published = published


def story_html(story: Story, paragraphs: list[str], host: str, site: str, slug: str) -> str:
    """The story's text in CMS markup, as a feed's description."""
    word, short = story.words[0], " ".join(story.words[1:])
    parts = [
        BLOCKS[n % len(BLOCKS)].format(text=escape(text), host=host, slug=slug, word=word, short=short)
        for n, text in enumerate(paragraphs)
    ]
    parts.insert(1, FIGURE.format(host=host, slug=slug, word=word, short=short))
    parts.append(FOOTER.format(host=host, slug=slug, title=escape(story.title), site=site))
    return "".join(parts)


def story_feeds(count: int, entries: int, seed: int = 16) -> dict[str, bytes]:
    """count RSS feeds of `entries` entries each, by path (/feed/<n>.xml); REPEATED of the entries (from the
    second feed on) carry a story an earlier feed carried."""
    rng = random.Random(seed)
    words, now = Words(rng), datetime.now(UTC).replace(microsecond=0)
    carried: list[tuple[Story, str]] = []
    feeds = {}
    for feed in range(count):
        host, site = f"news{feed}.example.com", f"News {feed}"
        items = []
        for entry in range(entries):
            slug = f"{feed}-{entry}"
            if carried and rng.random() < REPEATED:
                items.append(_repeat(rng, rng.choice(carried), host, site, slug))
                continue
            story = Story(words, now - timedelta(minutes=rng.randrange(48 * 60)))
            link = f"https://{host}/{slug}/"
            carried.append((story, link))
            items.append(
                _item(story.title, link, slug, story.published, story_html(story, story.paragraphs, host, site, slug))
            )
        feeds[f"/feed/{feed}.xml"] = _rss(feed, items)
    return feeds


def _repeat(rng: random.Random, original: tuple[Story, str], host: str, site: str, slug: str) -> str:
    """Another feed's story again: under its publisher's address, or re-headlined, trimmed or credited."""
    story, link = original
    title, paragraphs = story.title, list(story.paragraphs)
    published = story.published + timedelta(minutes=rng.randrange(6 * 60))
    change = rng.randrange(4)
    if change == 0:
        return _item(title, link, f"{slug}-same", published, story_html(story, paragraphs, host, site, slug))
    link = f"https://{host}/{slug}/"
    if change == 1:
        title = f"{story.words[1].capitalize()}: {title.lower()}"
    elif change == 2 and len(paragraphs) > 3:
        paragraphs.pop()
    else:
        paragraphs.append(f"Additional reporting by {story.words[2].capitalize()} {story.words[3].capitalize()}.")
    return _item(title, link, slug, published, story_html(story, paragraphs, host, site, slug))


def _item(title: str, link: str, guid: str, published: datetime, html: str) -> str:
    return (
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate><category>News</category>"
        f"<description>{escape(html)}</description></item>"
    )


def _rss(feed: int, items: list[str]) -> bytes:
    head = f"<rss version='2.0'><channel><title>Story feed {feed}</title><link>https://news{feed}.example.com/</link>"
    return (head + "".join(items) + "</channel></rss>").encode()
