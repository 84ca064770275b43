"""The reader's pages: lists of posts, the post page with its comments, search, robots.txt."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from articles import popularity
from articles.comments import (
    address_hash,
    client_network,
    comment_create,
    comment_rate_limited,
    comment_slot_reserved,
)
from articles.forms import CommentForm
from articles.kept_parts import KeptParts
from articles.models import Article, Label
from articles.own_comments import own_comment_remember, own_pending_comments
from articles.pagecache import (
    CSRF_PLACEHOLDER,
    CachedPage,
    cached_page,
    page_cache_get,
    page_cache_hot,
    page_cache_keep_hot,
    page_cache_set,
)
from articles.paging import ListPage, list_page
from articles.post_page import post_page_parts, post_page_posts
from articles.search import MAX_QUERY_CHARS, SearchPaginator
from articles.stories import copy_lead_url
from feeds.models import Source

POSTS_PER_PAGE = 20
TRENDING_COUNT = 20


def _page_of(request, posts) -> ListPage:
    """The requested page of a list; a malformed or out-of-range ?page= is a 404."""
    return list_page(posts, request.GET.get("page", 1), POSTS_PER_PAGE)


def _page(request, paginator: Paginator) -> Page:
    try:
        return paginator.page(request.GET.get("page", 1))
    except InvalidPage:
        raise Http404("No such page.") from None


def _post_list(request, posts, **context) -> HttpResponse:
    page = _page_of(request, posts)
    return render(request, "articles/list.html", {"page": page, "posts": page.object_list, **context})


def _feed_links(kind: str, slug: str) -> dict:
    return {"atom": reverse(f"articles:{kind}_atom", args=[slug]), "rss": reverse(f"articles:{kind}_rss", args=[slug])}


@require_safe
@cached_page
def home(request):
    """Published posts, featured first, then newest first, 20 a page."""
    posts = Article.objects.published().for_cards().featured_first()
    return _post_list(request, posts, is_home=True, heading="Latest posts")


@require_safe
@cached_page
def source_posts(request, slug: str):
    """One source's posts, newest first."""
    source = get_object_or_404(Source, slug=slug)
    posts = source.articles.published().for_cards().newest_first()
    feeds = _feed_links("source", slug)
    return _post_list(request, posts, source=source, heading=f"Posts from {source.name}", feeds=feeds)


@require_safe
@cached_page
def label_posts(request, slug: str):
    """Posts carrying one label, newest first."""
    label = get_object_or_404(Label, slug=slug)
    posts = label.articles.published().for_cards().newest_first()
    return _post_list(request, posts, heading=f"Posts labelled “{label.name}”", feeds=_feed_links("label", slug))


@require_safe
@cached_page
def year_archive(request, year: int):
    """Posts of one year, newest first, month by month (a post stays in the month of its address)."""
    posts = Article.objects.published().for_cards().in_year_newest_first(year)
    page = _page_of(request, posts)
    if not page.object_list:
        raise Http404("No posts that year.")
    return render(request, "articles/list.html", {"page": page, "posts": page.object_list, "heading": f"{year}"})


@require_safe
@cached_page
def month_archive(request, year: int, month: int):
    """Posts of one month, newest first."""
    posts = Article.objects.published().for_cards().in_month(year, month).newest_first()
    page = _page_of(request, posts)
    if not page.object_list:
        raise Http404("No posts that month.")
    heading = datetime.date(year, month, 1).strftime("%B %Y")
    return render(request, "articles/list.html", {"page": page, "posts": page.object_list, "heading": heading})


@require_safe
@cached_page
def search(request):
    """Ranked full-text search with highlighted snippets."""
    query = " ".join(request.GET.get("q", "").split())
    context = {"query": query, "max_query_chars": MAX_QUERY_CHARS}
    if len(query) > MAX_QUERY_CHARS:
        context["problem"] = f"That search is too long: please use at most {MAX_QUERY_CHARS} characters."
    elif query:
        page = _page(request, SearchPaginator(query, per_page=POSTS_PER_PAGE))
        context.update(page=page, posts=page.object_list)
    return render(request, "articles/search.html", context)


@require_safe
@cached_page
def subscribe(request):
    """What a feed reader is, and every feed we publish: all posts, each source's and each label's."""
    published = Article.objects.published()
    sources = Source.objects.filter(Exists(published.filter(source=OuterRef("pk")))).order_by("name")
    labels = Label.objects.filter(Exists(published.filter(labels=OuterRef("pk")))).order_by("name")
    return render(request, "articles/subscribe.html", {"sources": sources, "labels": labels})


@require_http_methods(["GET", "HEAD", "POST"])
def article_detail(request, year: int, month: int, slug: str):
    """The post page; every GET counts a view, whether the page came from the cache or not."""
    if request.method == "POST":
        return _post_comment(request, _published_article(year, month, slug))
    hot = page_cache_hot(request)
    if hot is not None:
        return _counted(request, hot)
    counted_page = popularity.view_record_cached_page(request=request)
    if counted_page is not None:
        page_cache_keep_hot(request, counted_page)
        return counted_page.to_response(request)
    # Never the copy from before a change: a deleted post's page would count a view of a post no longer stored.
    lookup = page_cache_get(request, stale_while_rendering=False)
    page = lookup.page
    if page is None:
        try:
            article = _published_article(year, month, slug)
        except Http404:
            return _to_story_lead(year, month, slug)
        html = _render_detail(request, article, CommentForm(), csrf_token=CSRF_PLACEHOLDER)
        page = CachedPage(html.encode(), article_id=article.id)
        page_cache_set(request, page, lookup)
    return _counted(request, page)


def _counted(request, page: CachedPage) -> HttpResponse:
    """The post page as a response, its view counted when the request is a reader's GET."""
    response = page.to_response(request)
    if request.method == "GET":
        popularity.view_record(request=request, article_id=page.article_id)
    return response


def _published_article(year: int, month: int, slug: str) -> Article:
    return get_object_or_404(post_page_posts(), url_year=year, url_month=month, slug=slug)


def _to_story_lead(year: int, month: int, slug: str) -> HttpResponse:
    """A copy in a story answers 301 to its lead, so its readers (and their views) land there; else 404."""
    lead_url = copy_lead_url(year=year, month=month, slug=slug)
    if lead_url is None:
        raise Http404("No such post.")
    return redirect(lead_url, permanent=True)


def _render_detail(request, article: Article, form: CommentForm, **extra) -> str:
    parts = post_page_parts(article)
    context = {
        "article": article,
        "kept_parts": KeptParts(article, parts.comments),
        "labels": parts.labels,
        "comments": parts.comments,
        "own_pending": own_pending_comments(request, article),
        "older": parts.older,
        "newer": parts.newer,
        "form": form,
        "canonical_url": article.url if article.source.canonical_to_original else None,
        **extra,
    }
    return render_to_string("articles/detail.html", context, request)


def _post_comment(request, article: Article) -> HttpResponse:
    """Post/redirect/get: a valid comment is stored and the reader sent back to it on the post page."""
    ip_hash = address_hash(client_network(request))
    if comment_rate_limited(ip_hash=ip_hash):
        return _rate_limited(request, article)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_render_detail(request, article, form), status=400)
    if form.is_robot():
        messages.success(request, "Thank you: your comment is awaiting moderation.")  # what a person would see
        return redirect(article.get_absolute_url() + "#comments")
    if not comment_slot_reserved(ip_hash=ip_hash):
        return _rate_limited(request, article)
    data = form.cleaned_data
    comment = comment_create(
        article=article, author_name=data["author_name"], email=data["email"], body=data["body"], ip_hash=ip_hash
    )
    if settings.COMMENTS_AUTO_APPROVE:
        messages.success(request, "Thank you: your comment is published.")
    else:
        # Shown to this reader only, where it will appear once approved; the redirect lands on it.
        own_comment_remember(request=request, comment=comment)
    return redirect(f"{article.get_absolute_url()}#comment-{comment.pk}")


def _rate_limited(request, article: Article) -> HttpResponse:
    """The 429 page, with the reader's text still in the form so nothing typed is lost."""
    typed = {name: request.POST.get(name, "") for name in ("author_name", "email", "body")}
    context = {
        "article": article,
        "form": CommentForm(initial=typed),
        "limit": settings.COMMENTS_RATE_LIMIT,
        "minutes": settings.COMMENTS_RATE_WINDOW_SECONDS // 60,
    }
    response = render(request, "articles/rate_limited.html", context, status=429)
    response["Retry-After"] = str(settings.COMMENTS_RATE_WINDOW_SECONDS)
    return response


@require_safe
def robots_txt(request):
    """Crawlers may read everything public; the sitemap lists the posts."""
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /search", f"Sitemap: {settings.SITE_URL}/sitemap.xml"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever a page says (the admin's pages say nothing)."""
    return redirect(static("favicon.svg"), permanent=True)


def trending_page(request):
    """ "Trending now": the posts readers are viewing right now, by views decaying with a half-life of a day."""
    return render(request, "articles/trending.html", {"posts": popularity.trending(TRENDING_COUNT)})
