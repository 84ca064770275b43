"""Two workers storing two copies of one story at the same moment end with one story."""

import itertools
import threading

import pytest

from articles.models import Article
from tests.articles.stories_helpers import entry, store
from tests.concurrency import run_together
from tests.factories import SourceFactory

ROUNDS = 5


def store_one_copy_each(sources, url, body):
    """Run two polls at once, one a source, each storing its copy (one under the AMP address) of url."""
    turns, lock = itertools.count(), threading.Lock()

    def poll():
        with lock:
            number = next(turns)
        return store(sources[number], entry(f"guid-{number}", url if number else url + "/amp", body=body))

    return run_together(poll)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_storing_two_copies_of_one_story_at_once_end_with_one_story():
    for round_ in range(ROUNDS):
        sources = [SourceFactory(), SourceFactory()]
        # Each round another story, in words too.
        body = "<p>" + " ".join(f"word{round_}x{n}" for n in range(40)) + "</p>"
        results, errors = store_one_copy_each(sources, f"https://example.com/world/story-{round_}", body)
        assert errors == [] and sum(result.new for result in results) == 2
        story = Article.objects.filter(source__in=sources)
        assert story.filter(story_lead=None).count() == 1, f"round {round_}: two leads"
        lead = story.get(story_lead=None)
        assert story.get(story_lead=lead).status == "copy"
