"""Upstream edits after publishing: the previous text kept as a revision (last 10), a diff in the admin, corrections."""

import pytest

from articles.models import Article, ArticleRevision
from articles.revisions import KEEP, revision_diff
from feeds.services import feed_poll

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def feed(title: str, body: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item>'
        f"<title>{title}</title><link>https://news.example.com/a</link><guid>story-a</guid>"
        f"<pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[{body}]]></description>"
        "</item></channel></rss>"
    )


def test_an_upstream_correction_keeps_the_old_text_flags_the_post_and_shows_a_diff(
    feed_server, source_at, admin_client
):
    source = source_at("/wire.xml", feed("Mayor resigns", "<p>The mayor resigned on Monday.</p><p>More soon.</p>"))
    feed_poll(source=source)
    post = Article.objects.get(source=source)
    assert post.corrected_upstream_at is None

    corrected = (
        "<p>The mayor resigned on Tuesday.</p><p>More soon.</p><p>Correction: an earlier version gave Monday.</p>"
    )
    feed_server.serve("/wire.xml", feed("Mayor resigns", corrected))
    feed_poll(source=source)

    post.refresh_from_db()
    [revision] = post.revisions.all()
    assert revision.body_html == "<p>The mayor resigned on Monday.</p><p>More soon.</p>"
    assert post.corrected_upstream_at is not None
    page = admin_client.get(f"/admin/articles/article/{post.pk}/change/").content.decode()
    assert "<del>− The mayor resigned on Monday.</del>" in page
    assert "<ins>+ The mayor resigned on Tuesday.</ins>" in page
    assert "<ins>+ Correction: an earlier version gave Monday.</ins>" in page
    listed = admin_client.get("/admin/articles/article/?original=corrected").content.decode()
    assert "Mayor resigns" in listed


def test_a_plain_edit_is_kept_as_a_revision_without_the_correction_flag(feed_server, source_at):
    source = source_at("/wire.xml", feed("Storm nears", "<p>Winds of 90 km/h.</p>"))
    feed_poll(source=source)
    feed_server.serve("/wire.xml", feed("Storm nears the coast", "<p>Winds of 120 km/h.</p>"))
    feed_poll(source=source)
    post = Article.objects.get(source=source)
    assert [revision.title for revision in post.revisions.all()] == ["Storm nears"]
    assert post.corrected_upstream_at is None


def test_only_the_last_ten_revisions_are_kept(feed_server, source_at):
    source = source_at("/wire.xml", feed("Count", "<p>version 0</p>"))
    feed_poll(source=source)
    for version in range(1, KEEP + 3):
        feed_server.serve("/wire.xml", feed("Count", f"<p>version {version}</p>"))
        feed_poll(source=source)
    kept = list(ArticleRevision.objects.values_list("body_html", flat=True))
    assert len(kept) == KEEP
    assert kept[0] == f"<p>version {KEEP + 1}</p>" and kept[-1] == "<p>version 2</p>"


def test_an_editors_post_keeps_no_upstream_revision(feed_server, source_at):
    source = source_at("/wire.xml", feed("Quiet day", "<p>Nothing happened.</p>"))
    feed_poll(source=source)
    Article.objects.filter(source=source).update(edited_by_editor=True)
    feed_server.serve("/wire.xml", feed("Quiet day", "<p>Correction: something happened.</p>"))
    feed_poll(source=source)
    assert not ArticleRevision.objects.exists()


def test_the_diff_is_by_paragraph_in_plain_text():
    lines = revision_diff(("T", "<p>one</p><p>two</p>"), ("T", "<p>one</p><p>2</p><p>three &amp; <b>four</b></p>"))
    assert ("removed", "two") in lines and ("added", "2") in lines and ("added", "three & four") in lines
