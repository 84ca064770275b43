"""The labelled set bench/stories.py scores story identity on: seeded, so every run builds the same articles.

TOPICS topics, each with its own people, place and organisation and a background paragraph. Each topic has two
events (two stories) published 6 to 30 hours apart: the hard negatives, same names and places and background,
another event; the second is a follow-up that opens by recalling the first ("As reported earlier, ...": its lede
quoted) before its own news. Articles vary in length and shape: a brief of 2 paragraphs to a long piece of 12,
sentences of one to four, some with subheads, a quote block or a fact list. Each story is published first by one
site, then copied 2 to 4 times, each copy one of COPY_KINDS: the same site's other edition (an AMP, mobile or
tracked URL: the URL rule), or another site's copy of the wire text (another URL) with a new headline, a dropped
paragraph, an added local paragraph, an "Additional reporting by" line, the wire piece cut after its first
two-thirds (as papers trim wire copy), a rewritten lede with the attribution verbs changed ("said" becomes "told
reporters"), or several of these. Every site wraps its articles in its own chrome (a newsletter line and a footer)
and its own markup (plain paragraphs, or subheads and quote blocks).
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TOPICS = 45
SITES = [f"site{n}.example" for n in range(10)]
COPY_KINDS = [
    "edition-url",
    "new-headline",
    "dropped-paragraph",
    "added-paragraph",
    "reporting-credit",
    "trimmed",
    "rewritten-lede",
    "combined",
]
# How copy desks re-word wire copy's attributions.
REWORDINGS = {" said ": " told reporters ", " warned ": " cautioned ", " announced ": " said ", " noted ": " added "}

FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Karin",
    "Luis",
    "Maya",
    "Nils",
    "Olga",
    "Pavel",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
]
LAST = [
    "Costa",
    "Meyer",
    "Novak",
    "Silva",
    "Haddad",
    "Berg",
    "Moreau",
    "Rossi",
    "Lindqvist",
    "Kowalski",
    "Duarte",
    "Okafor",
    "Brandt",
    "Ferreira",
    "Varga",
]
PLACES = [
    "Lisbon",
    "Porto",
    "Gdansk",
    "Lyon",
    "Tampere",
    "Bergen",
    "Malaga",
    "Utrecht",
    "Graz",
    "Brno",
    "Cork",
    "Aarhus",
    "Turin",
    "Ghent",
    "Split",
]
ORGS = [
    "port authority",
    "water board",
    "rail operator",
    "city council",
    "health trust",
    "energy regulator",
    "teachers union",
]
THINGS = [
    "bridge",
    "budget",
    "tram line",
    "hospital wing",
    "wind farm",
    "school reform",
    "ferry route",
    "housing plan",
    "airport expansion",
    "flood barrier",
    "steel plant",
    "data centre",
    "bus fleet",
    "harbour wall",
    "tax rebate",
    "water pipeline",
    "museum",
    "stadium",
]
VERBS = [
    "said",
    "warned",
    "announced",
    "confirmed",
    "denied",
    "argued",
    "reported",
    "estimated",
    "promised",
    "complained",
    "insisted",
    "noted",
]
CLAUSES = [
    "that {n} people had been affected by the {thing}",
    "that the {thing} would cost {n} million euros more than planned",
    "that work on the {thing} would resume on {day}",
    "that the {thing} had been delayed by {n} weeks",
    "that {place} needed a new {thing} within {n} years",
    "that {n} jobs depended on the {thing}",
    "that an inquiry into the {thing} would report by {day}",
    "that the vote on the {thing} was postponed until {day}",
    "that inspectors had found {n} faults in the {thing}",
    "that the {thing} had drawn {n} complaints since spring",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
EVENTS = [
    "{org} approves {thing} after long dispute",
    "Protest over {thing} blocks centre of {place}",
    "{person} resigns over {thing} costs",
    "Court halts {thing} in {place}",
    "Fire damages {thing} in {place}",
    "Strike closes {thing} for {n} days",
]


@dataclass
class SetArticle:
    index: int
    story: int  # the label: articles with the same story are one story
    original: int  # index of the story's first article
    kind: str
    site: str
    url: str
    title: str
    body_html: str
    published_at: datetime
    lede: str = ""


@dataclass
class Topic:
    person: str
    place: str
    org: str
    background: str


def build_set(seed: int = 16) -> list[SetArticle]:
    rng = random.Random(seed)
    articles: list[SetArticle] = []
    start = datetime(2026, 11, 1, 6, tzinfo=UTC)
    for number in range(TOPICS):
        topic = _topic(rng)
        first_at = start + timedelta(hours=number * 20)
        for event in range(2):
            published = first_at + timedelta(hours=event * rng.randint(6, 30))
            _story(rng, topic, len(articles), number * 2 + event, published, articles)
    return articles


def _topic(rng: random.Random) -> Topic:
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    place, org = rng.choice(PLACES), rng.choice(ORGS)
    topic = Topic(person=person, place=place, org=org, background="")
    topic.background = _paragraph(rng, topic, sentences=3)
    return topic


def _sentence(rng: random.Random, topic: Topic) -> str:
    subject = rng.choice([topic.person, f"the {topic.org}", f"officials in {topic.place}", "residents", "analysts"])
    subject = rng.choice([subject, "a spokesperson", "opposition leaders", "the mayor", "union leaders", "engineers"])
    clause = rng.choice(CLAUSES).format(
        n=rng.randint(2, 900), thing=rng.choice(THINGS), day=rng.choice(DAYS), place=topic.place
    )
    return f"{subject[0].upper()}{subject[1:]} {rng.choice(VERBS)} {clause}."


def _paragraph(rng: random.Random, topic: Topic, sentences: int) -> str:
    return " ".join(_sentence(rng, topic) for _ in range(sentences))


def _story(rng: random.Random, topic: Topic, first_index: int, story: int, published: datetime, out: list) -> None:
    thing, n = rng.choice(THINGS), rng.randint(2, 9)
    title = rng.choice(EVENTS).format(org=topic.org, thing=thing, place=topic.place, person=topic.person, n=n)
    title = title[0].upper() + title[1:]
    # From a brief to a long piece.
    paragraphs = [_paragraph(rng, topic, rng.randint(1, 4)) for _ in range(rng.choice([2, 3, 4, 5, 6, 8, 10, 12]))]
    paragraphs.insert(rng.randint(1, len(paragraphs)), topic.background)
    if story % 2 == 1:
        # The follow-up recalls the earlier story's lede: the hardest negative.
        earlier = next(
            article for article in reversed(out) if article.story == story - 1 and article.kind == "original"
        )
        paragraphs.insert(1, "As reported earlier: " + earlier.lede)
    site = rng.choice(SITES)
    slug = f"{topic.place.lower()}-{story}"
    url = f"https://www.{site}/news/2026/{slug}"
    out.append(_article(first_index, story, first_index, "original", site, url, title, paragraphs, published))
    for copy in range(rng.randint(2, 4)):
        kind = rng.choice(COPY_KINDS)
        at = published + timedelta(minutes=rng.randint(5, 20 * 60))
        index = len(out)
        if kind == "edition-url":
            variant = rng.choice([f"https://m.{site}/news/2026/{slug}", f"{url}/amp", f"{url}?outputType=amp"])
            variant += rng.choice(["", "?utm_source=rss&utm_medium=feed" if "?" not in variant else "&utm_source=x"])
            out.append(_article(index, story, first_index, kind, site, variant, title, paragraphs, at))
            continue
        other = rng.choice([s for s in SITES if s != site])
        copy_url = f"https://{other}/{rng.choice(['world', 'europe', 'wire'])}/{story}-{copy}-{rng.randint(1, 99999)}"
        copy_title, copy_paragraphs = _copy_edit(rng, kind, topic, thing, title, paragraphs)
        out.append(_article(index, story, first_index, kind, other, copy_url, copy_title, copy_paragraphs, at))


def _copy_edit(
    rng: random.Random, kind: str, topic: Topic, thing: str, title: str, paragraphs: list[str]
) -> tuple[str, list[str]]:
    """Another site's copy of the wire text, changed as copy desks change it."""
    copy_title, copy = title, list(paragraphs)
    if kind in ("new-headline", "combined"):
        copy_title = f"{topic.place}: {thing} {rng.choice(['row deepens', 'decision', 'latest', 'what we know'])}"
    if kind in ("dropped-paragraph", "combined") and len(copy) > 3:
        del copy[rng.randrange(1, len(copy))]
    if kind == "added-paragraph":
        copy.append(_paragraph(rng, topic, 2))
    if kind == "trimmed":
        copy = copy[: max(3, -(-len(copy) * 2 // 3))]
    if kind in ("rewritten-lede", "combined"):
        copy[0] = _paragraph(rng, topic, 1) + " " + copy[0].split(". ", 1)[-1]
        copy = [_reworded(paragraph) for paragraph in copy]
    if kind in ("reporting-credit", "combined"):
        copy.append(f"Additional reporting by {rng.choice(FIRST)} {rng.choice(LAST)} in {topic.place}.")
    return copy_title, copy


def _reworded(paragraph: str) -> str:
    for wire, desk in REWORDINGS.items():
        paragraph = paragraph.replace(wire, desk)
    return paragraph


def _article(index, story, original, kind, site, url, title, paragraphs, published) -> SetArticle:
    chrome_top = f"<p>Get the {site} morning briefing in your inbox.</p>"
    chrome_bottom = f"<p>Copyright {site}. Follow us for more news from the region.</p>"
    # Half the sites set long pieces with subheads and a quote block; the words are the same.
    styled = int(site.removeprefix("site").split(".")[0]) % 2 == 1 and len(paragraphs) > 4
    parts = []
    for number, paragraph in enumerate(paragraphs):
        if styled and number == 2:
            parts.append(f"<blockquote><p>{paragraph}</p></blockquote>")
        else:
            parts.append(f"<p>{paragraph}</p>")
        if styled and number == 3:
            parts.append("<h2>What happens next</h2>")
    body = chrome_top + "".join(parts) + chrome_bottom
    return SetArticle(index, story, original, kind, site, url, title, body, published, lede=paragraphs[0])
