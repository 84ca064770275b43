"""The labelled set bench/stories.py scores story identity on: seeded, so every run builds the same articles.

TOPICS topics, each with its own people, place and organisation and a background paragraph. Each topic has two
events (two stories) published 6 to 30 hours apart: the hard negatives, same names and places and background,
another event. Each story is published first by one site, then copied 2 to 4 times, each copy one of COPY_KINDS:
the same site's other edition (an AMP, mobile or tracked URL: the URL rule), or another site's copy of the wire
text (another URL) with a new headline, a dropped paragraph, an added local paragraph, an "Additional reporting
by" line, or all of these. Every site wraps its articles in its own chrome (a newsletter line and a footer).
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TOPICS = 45
SITES = [f"site{n}.example" for n in range(10)]
COPY_KINDS = ["edition-url", "new-headline", "dropped-paragraph", "added-paragraph", "reporting-credit", "combined"]

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
    paragraphs = [_paragraph(rng, topic, rng.randint(2, 3)) for _ in range(rng.randint(4, 6))]
    paragraphs.insert(rng.randint(1, len(paragraphs)), topic.background)
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
        copy_title, copy_paragraphs = title, list(paragraphs)
        if kind in ("new-headline", "combined"):
            copy_title = f"{topic.place}: {thing} {rng.choice(['row deepens', 'decision', 'latest', 'what we know'])}"
        if kind in ("dropped-paragraph", "combined"):
            del copy_paragraphs[rng.randrange(len(copy_paragraphs))]
        if kind == "added-paragraph":
            copy_paragraphs.append(_paragraph(rng, topic, 2))
        if kind in ("reporting-credit", "combined"):
            copy_paragraphs.append(f"Additional reporting by {rng.choice(FIRST)} {rng.choice(LAST)} in {topic.place}.")
        out.append(_article(index, story, first_index, kind, other, copy_url, copy_title, copy_paragraphs, at))


def _article(index, story, original, kind, site, url, title, paragraphs, published) -> SetArticle:
    chrome_top = f"<p>Get the {site} morning briefing in your inbox.</p>"
    chrome_bottom = f"<p>Copyright {site}. Follow us for more news from the region.</p>"
    body = chrome_top + "".join(f"<p>{p}</p>" for p in paragraphs) + chrome_bottom
    return SetArticle(index, story, original, kind, site, url, title, body, published)
