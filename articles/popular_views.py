"""The "Trending now" page: what readers are viewing right now, by views decaying with a half-life of a day."""

from django.shortcuts import render

from articles.ranking import trending

TRENDING_COUNT = 20


def trending_page(request):
    """The posts with the highest decayed view score, one cached query."""
    return render(request, "articles/trending.html", {"posts": trending(TRENDING_COUNT)})
