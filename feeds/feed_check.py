"""Checking an address an editor typed: fetched once, an address without a scheme tried as https then http,
and what went wrong said in words rather than in the fetcher's or parser's terms."""

import time

from feeds.services import FeedProbe, feed_probe

# Less time than this left after the https try: the plain-http try could not finish anyway.
MIN_SECONDS_FOR_A_RETRY = 1.0

NO_FEED_LINK = "This address returned an HTML page with no feed link. Find the site's RSS or Atom link and give that."
NOT_A_FEED = "This address did not return a feed (RSS, Atom or JSON Feed), nor a web page that links to one."
NO_SUCH_HOST = "No site answers to that name: check the spelling of the address."
NO_ANSWER = "Nothing answered at this address: check it, or try again later if the site is down."
NOT_FOUND = "There is nothing at this address (the site answered 404 Not Found): check it for typing mistakes."
NO_HTTPS = "The site's secure connection (https) failed. Add http:// in front if the site has no https."
# Pieces of the fetcher's messages, and what they mean for an editor.
FETCH_PROBLEMS = [
    ("does not link to any", NO_FEED_LINK),
    ("could not be resolved", NO_SUCH_HOST),
    ("ssl", NO_HTTPS),
    ("certificate", NO_HTTPS),
    ("could not connect", NO_ANSWER),
    ("connection to", NO_ANSWER),
    ("did not answer within", NO_ANSWER),
    ("answered http 404", NOT_FOUND),
]


def has_scheme(typed: str) -> bool:
    return "://" in typed


def feed_check(*, typed: str, url: str, deadline_seconds: float | None = None) -> FeedProbe:
    """Probe url (the typed address, with https:// added if it had no scheme); plain-http when https fails.

    deadline_seconds bounds both tries together; a try that ran out of time is not followed by another.
    """
    started = time.monotonic()
    probe = feed_probe(url=url, deadline_seconds=deadline_seconds)
    left = None if deadline_seconds is None else deadline_seconds - (time.monotonic() - started)
    retry = probe.error and not probe.timed_out and (left is None or left > MIN_SECONDS_FOR_A_RETRY)
    if retry and not has_scheme(typed) and url.startswith("https://"):
        plain = feed_probe(url="http://" + url.removeprefix("https://"), deadline_seconds=left)
        if not plain.error or plain.failed_stage == "parse":
            probe = plain
    if probe.error:
        probe.error = in_words(probe)
    return probe


def in_words(probe: FeedProbe) -> str:
    """The probe's problem as an editor would put it; the fetcher's own words when they are plain already."""
    lowered = probe.error.lower()
    for piece, words in FETCH_PROBLEMS:
        if piece in lowered:
            return words
    if probe.failed_stage == "parse":
        return NOT_A_FEED
    return probe.error
