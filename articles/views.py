from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from articles.models import Article
from articles.popularity import view_record

POSTS_PER_PAGE = 20


def home(request):
    """Published posts, featured first, then newest first, 20 a page."""
    posts = Article.objects.published().with_source().featured_first()
    paginator = Paginator(posts, POSTS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except InvalidPage:
        raise Http404("No such page.") from None
    return render(request, "articles/home.html", {"page": page, "posts": page.object_list})


def article_detail(request, year: int, month: int, slug: str):
    """One post with its attribution line."""
    article = get_object_or_404(Article.objects.published().with_source(), url_year=year, url_month=month, slug=slug)
    view_record(request=request, article_id=article.pk)
    return render(request, "articles/detail.html", {"article": article})
