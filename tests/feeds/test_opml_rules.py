"""OPML carries every republishing rule (and the User-Agent override) in the newsblog namespace: export, import
into an empty site, compare."""

from io import StringIO

import pytest
from django.core.management import call_command

from feeds.models import ContentMode, PublishMode, Source
from feeds.opml_rules import CHOICE_RULES, FLAG_RULES, NAMESPACE, TEXT_RULES
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db
RULES = {
    "keep_rules": "harbour\ncategory:re:^(local|world)$",
    "block_rules": 'title:sponsored\ncontent:"quoted" & <tags>',
    "remove_selectors": ".share-bar\naside.related",
    "author_mode": "The Desk",
    "publish_mode": PublishMode.REVIEW,
    "content_mode": ContentMode.FULL_TEXT,
    "canonical_to_original": False,
    "noindex": True,
    "user_agent": "HarbourReader/2.1 (+https://news.example.com/about)",
}


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_every_rule_survives_export_and_import_with_the_folders(tmp_path):
    SourceFactory(name="Gazette", feed_url="https://gazette.example.com/feed.xml", category="News/Local", **RULES)
    SourceFactory(name="Plain", feed_url="https://plain.example.com/feed.xml")
    path = tmp_path / "sources.opml"
    run("exportopml", "--output", str(path))
    text = path.read_text()
    assert f'xmlns:newsblog="{NAMESPACE}"' in text and "newsblog:keep_rules=" in text
    Source.objects.all().delete()
    assert "Added 2 sources" in run("importopml", str(path))
    gazette = Source.objects.get(name="Gazette")
    fields = (*TEXT_RULES, *CHOICE_RULES, *FLAG_RULES)
    assert {field: getattr(gazette, field) for field in fields} == RULES
    assert gazette.category == "News/Local"
    plain = Source.objects.get(name="Plain")
    assert (plain.keep_rules, plain.publish_mode, plain.canonical_to_original) == ("", "publish", True)


def test_an_invalid_rule_in_a_file_is_refused_by_name_and_the_feed_still_added(tmp_path):
    path = tmp_path / "hand-made.opml"
    path.write_text(
        f'<opml version="2.0" xmlns:newsblog="{NAMESPACE}"><body>'
        '<outline text="Hand" xmlUrl="https://hand.example.com/feed.xml" newsblog:block_rules="re:a("'
        ' newsblog:content_mode="everything" newsblog:noindex="true" newsblog:user_agent="Reader&#10;X-Bad: 1"/>'
        "</body></opml>"
    )
    output = run("importopml", str(path))
    assert "Added 1 sources" in output
    assert "Refused Hand's rule block_rules: line 1 (re:a(): missing ): a(" in output
    assert "Refused Hand's rule content_mode: unknown value 'everything'" in output
    assert "Refused Hand's rule user_agent: A User-Agent is printable ASCII on one line." in output
    source = Source.objects.get()
    assert (source.block_rules, source.content_mode, source.noindex, source.user_agent) == ("", "feed", True, "")
