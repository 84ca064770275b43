"""Shared helpers for the popularity tests: readers' requests and a look at the counter Redis."""

from datetime import timedelta

import redis
from django.conf import settings
from django.test import RequestFactory
from django.utils import timezone

from articles.models import Article, ArticleDailyViews
from articles.popularity.counter import PREFIX

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"


def reader(number: int = 1, *, user_agent: str = BROWSER, method: str = "get", **headers):
    """The request of reader `number` (each number is a different address), as the post page receives it."""
    factory = getattr(RequestFactory(), method)
    return factory(
        "/2026/01/story.html",
        REMOTE_ADDR=f"10.{number // 65536}.{number // 256 % 256}.{number % 256}",
        HTTP_USER_AGENT=user_agent,
        **headers,
    )


def reader_headers(number: int = 1, **headers) -> dict:
    """Test-client keyword arguments for reader `number`."""
    return {"REMOTE_ADDR": f"10.0.{number // 256}.{number % 256}", "HTTP_USER_AGENT": BROWSER, **headers}


def rotate_user_agents(client, article, count: int, address: str = "10.0.0.1") -> None:
    """One address reading a post `count` times, with a new user agent each time."""
    for n in range(count):
        client.get(
            article.get_absolute_url(), **reader_headers(1, REMOTE_ADDR=address, HTTP_USER_AGENT=f"{BROWSER} {n}")
        )


def counter() -> redis.Redis:
    """A plain client on the test's counter database."""
    return redis.Redis.from_url(settings.REDIS_URL)


def counter_keys() -> list[str]:
    return sorted(key.decode() for key in counter().keys(f"{PREFIX}*"))


def totals(article: Article) -> tuple[int, int, int]:
    """(total views, views today, unique visitors today) as the database has them."""
    article.refresh_from_db()
    daily = ArticleDailyViews.objects.filter(article=article).order_by("-date").first()
    return article.total_views, daily.views if daily else 0, daily.unique_visitors if daily else 0


def waiting_keys() -> list[str]:
    """Counts still waiting in Redis: the pending hash and batches in flight."""
    return [key for key in counter_keys() if key.endswith(":pending") or ":inflight" in key]


def viewed(article: Article, views: int, days_ago: int = 0) -> Article:
    """Give a post `views` views on the day `days_ago` days back (as a flush would), total included."""
    ArticleDailyViews.objects.create(
        article=article, date=timezone.localdate() - timedelta(days=days_ago), views=views, unique_visitors=views
    )
    Article.objects.filter(pk=article.pk).update(total_views=article.total_views + views)
    article.total_views += views
    return article


def sidebar(client, url="/") -> str:
    """The sidebar of the page at url, as served."""
    page = client.get(url).content.decode()
    return page[page.index('<aside class="sidebar"') :]
