"""Which requests are not a reader looking at a post: crawlers, link previews, HTTP libraries, prefetches."""

import re

from django.http import HttpRequest

# Patterns of User-Agent headers that never belong to a person reading the page, matched on the lowercased header.
BOT_PATTERNS = (
    # Crawlers and indexers.
    r"bot\b",
    r"bot/",
    r"crawl",
    r"spider",
    r"slurp",
    r"archiver",
    r"mediapartners-google",
    r"adsbot",
    r"feedfetcher",
    r"feedly",
    r"newsblur",
    r"inoreader",
    r"bingpreview",
    # Link previews in chat and social apps.
    r"facebookexternalhit",
    r"facebookcatalog",
    r"twitterbot",
    r"slackbot",
    r"slack-imgproxy",
    r"discordbot",
    r"whatsapp",
    r"telegrambot",
    r"linkedinbot",
    r"skypeuripreview",
    r"embedly",
    r"pinterest",
    r"redditbot",
    r"vkshare",
    r"mastodon",
    r"preview",
    # HTTP libraries and command-line tools.
    r"^curl/",
    r"^wget/",
    r"python-requests",
    r"python-urllib",
    r"python-httpx",
    r"aiohttp",
    r"go-http-client",
    r"^java/",
    r"okhttp",
    r"libwww-perl",
    r"apache-httpclient",
    r"axios/",
    r"node-fetch",
    r"undici",
    r"^ruby",
    r"^php",
    # Headless browsers, audits and uptime checks.
    r"headlesschrome",
    r"phantomjs",
    r"lighthouse",
    r"pingdom",
    r"uptime",
    r"monitor",
    r"statuscake",
)
# Lowercasing first is five times faster than re.IGNORECASE, and this runs on every post view.
BOT_RE = re.compile("|".join(BOT_PATTERNS))
PURPOSE_HEADERS = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")


def is_bot(user_agent: str) -> bool:
    """True for a missing user agent or one that names a crawler, link preview or HTTP library."""
    return not user_agent.strip() or BOT_RE.search(user_agent.lower()) is not None


def is_prefetch(request: HttpRequest) -> bool:
    """True when the browser fetches the page speculatively (prefetch, prerender, preview), not for a reader."""
    for header in PURPOSE_HEADERS:
        purpose = request.META.get(header, "").lower()
        if "prefetch" in purpose or "preview" in purpose or "prerender" in purpose:
            return True
    return False
