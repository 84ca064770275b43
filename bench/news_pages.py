"""Realistic news article pages, generated: the article among what surrounds it on a news site.

news_page(seed) -> NewsPage(html, article_text, boilerplate): navigation, a share bar, inline ads, a script and a
style block, a related-stories box, a comments thread and a footer around a 600-2,000-word article with headings,
a list, an image and links. The article's own text is returned, to score what an extractor keeps (bench/ingest.py,
tests/feeds/ingest/test_extract.py). Deterministic for a seed.
"""

import random
from dataclasses import dataclass
from html import escape

_PROSE = (
    "harbour council residents transport bypass committee quay street survey traffic ferry lighthouse "
    "school budget consultation island mayor museum library bridge storm rainfall winter market fishermen "
    "boats tourism festival planning housing rents workers union hospital nurses doctors patients school "
    "pupils teachers exam results researchers university scientists study climate coastline erosion sea "
    "wall engineers contract tender delays costs inquiry report minister government election candidates "
    "voters campaign debate policy railway station timetable passengers airport runway noise neighbours"
)
WORDS = tuple(_PROSE.split())
# Words that only ever appear outside the article: finding one in extracted text means boilerplate was kept.
BOILERPLATE_MARKERS = ("zzsubscribe", "zzcookie", "zzadvert", "zzrelated", "zzcomment", "zznavigation", "zzfooter")
SCRIPT_MARKER = "zzscriptcode"
STYLE_MARKER = "zzstylerule"


@dataclass
class NewsPage:
    html: str
    article_text: str


def _sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(8, 22)) for _ in range(rng.randint(3, 6)))


def _article(rng: random.Random, target_words: int) -> tuple[str, list[str]]:
    """The article's markup and its text blocks in reading order."""
    parts, texts, words = [], [], 0
    title = _sentence(rng, 8)
    parts.append(f"<h1>{escape(title)}</h1>")
    texts.append(title)
    while words < target_words:
        block = rng.random()
        if block < 0.12:
            heading = _sentence(rng, 5)
            parts.append(f"<h2>{escape(heading)}</h2>")
            texts.append(heading)
        elif block < 0.2:
            items = [_sentence(rng, rng.randint(6, 12)) for _ in range(3)]
            parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")
            texts.extend(items)
        else:
            text = _paragraph(rng)
            first, _, rest = text.partition(" ")
            parts.append(f'<p><a href="/topics/{first.lower()}">{escape(first)}</a> {escape(rest)}</p>')
            texts.append(text)
        words = sum(len(text.split()) for text in texts)
        if rng.random() < 0.1:
            parts.append(
                f'<figure><img src="/images/{rng.randint(1, 999)}.jpg" alt="A photo"><figcaption>'
                f"{escape(_sentence(rng, 6))}</figcaption></figure>"
            )
            texts.append(parts[-1].split("<figcaption>")[1].split("</figcaption>")[0])
        if rng.random() < 0.15:
            parts.append(_ad(rng))
    return "\n".join(parts), texts


def _ad(rng: random.Random) -> str:
    return (
        f'<div class="ad-slot inline-ad"><span>zzadvert</span><script>var {SCRIPT_MARKER} = {rng.randint(1, 99)};'
        "</script></div>"
    )


def _links(rng: random.Random, marker: str, count: int) -> str:
    return "".join(f'<li><a href="/{marker}/{n}">{marker} {_sentence(rng, 6)}</a></li>' for n in range(count))


def _data_padding(rng: random.Random, size: int) -> str:
    """What makes most multi-megabyte news pages big: the app's state inlined as JSON, and SVG icon sprites."""
    icons = "".join(f'<symbol id="i{n}"><path d="M{n} 0L{n} 24Z"/></symbol>' for n in range(200))
    state, length = [], len(icons)
    while length < size:
        state.append(f'"{SCRIPT_MARKER}{len(state)}":"{_sentence(rng, 12)}"')
        length += len(state[-1]) + 1
    return f'<script id="__STATE__" type="application/json">{{{",".join(state)}}}</script><svg hidden>{icons}</svg>'


def news_page(
    seed: int, *, min_words: int = 600, max_words: int = 2000, padding_kb: int = 0, padding: str = "menus"
) -> NewsPage:
    """One article page; padding_kb adds that much more outside the article: dense link menus ("menus", the
    worst case for a parser's memory) or inlined JSON state and SVG icons ("data", as big pages mostly are)."""
    rng = random.Random(seed)
    article, texts = _article(rng, rng.randint(min_words, max_words))
    comments = "".join(
        f'<div class="comment"><p class="author">zzcomment reader{n}</p><p>zzcomment {_paragraph(rng)}</p></div>'
        for n in range(rng.randint(3, 12))
    )
    extra = ""
    if padding == "data" and padding_kb:
        extra = _data_padding(rng, padding_kb * 1024)
    while len(extra) < padding_kb * 1024:
        extra += f'<ul class="mega-menu">{_links(rng, "zznavigation", 40)}</ul>'
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(texts[0])} | Harbour News</title>
<style>.{STYLE_MARKER} {{ color: red; }} body {{ font-family: serif; }}</style>
<script>window.{SCRIPT_MARKER} = {{consent: "zzcookie"}}; function track() {{ return 1; }}</script>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "zzscriptcode"}}</script>
</head><body>
<header><nav class="site-nav"><ul>{_links(rng, "zznavigation", 12)}</ul></nav>
<div class="cookie-banner">zzcookie We use cookies. <button>Accept</button></div></header>
{extra}
<main><div class="share-bar"><a href="/share/x">zzsubscribe Share</a> <a href="/share/fb">zzsubscribe Post</a></div>
<article class="story"><div class="byline">By A. Writer</div>
{article}
</article>
<aside class="related"><h3>zzrelated Related stories</h3><ul>{_links(rng, "zzrelated", 8)}</ul></aside>
<section id="comments"><h3>zzcomment Comments</h3>{comments}</section>
<div class="newsletter">zzsubscribe Sign up for our newsletter</div></main>
<footer><p>zzfooter Copyright Harbour News</p><ul>{_links(rng, "zzfooter", 10)}</ul></footer>
<script>{SCRIPT_MARKER}(); track();</script>
</body></html>"""
    return NewsPage(html=page, article_text="\n".join(texts))
