import logging
import xml.etree.ElementTree as ET  # noqa: N817 - the conventional name
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.db.models import Value
from django.db.models.functions import Replace

from articles.models import Article
from feeds import services
from feeds.ingest import store as store_module
from feeds.models import FetchAttempt, Source
from feeds.samples import SAMPLES
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_addsource_checks_the_feed_prints_title_and_count_and_adds_it(feed_server):
    url = feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    output = run("addsource", url, "--interval", "45")
    assert "Feed: Harbour Town Gazette with 3 entries." in output
    source = Source.objects.get()
    assert (source.name, source.feed_url, source.poll_interval_minutes) == ("Harbour Town Gazette", url, 45)
    assert source.site_url == "https://gazette.example.com/"


def test_addsource_finds_the_feed_an_html_page_links_to(feed_server):
    feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    page = feed_server.serve("/", file="feeds/page_with_feed.html", content_type="text/html")
    output = run("addsource", page, "--name", "Gazette")
    assert "links to the feed" in output
    assert Source.objects.get().feed_url == feed_server.url("/feed.xml")


@pytest.mark.parametrize(
    "url, message",
    [("file:///etc/passwd", "Only http:// and https://"), ("ftp://example.com/f", "Only http:// and https://")],
)
def test_addsource_refuses_bad_addresses_with_the_reason(url, message):
    with pytest.raises(CommandError, match=message):
        run("addsource", url)
    assert not Source.objects.exists()


def test_addsource_reports_a_fetch_error_and_a_duplicate(feed_server):
    with pytest.raises(CommandError, match="HTTP 404"):
        run("addsource", feed_server.url("/missing.xml"))
    url = feed_server.serve("/feed.xml", file="feeds/rss20.xml")
    run("addsource", url)
    with pytest.raises(CommandError, match="already a source"):
        run("addsource", url)


def test_pollfeeds_polls_in_process_and_prints_a_summary_with_failures(feed_server):
    good = SourceFactory(name="Good feed", feed_url=feed_server.serve("/feed.xml", file="feeds/rss20.xml"))
    bad = SourceFactory(name="Bad feed", feed_url=feed_server.serve("/bad.xml", b"oops", status=500))
    output = run("pollfeeds", "--source", str(good.pk), str(bad.pk))
    assert "source" in output and "outcome" in output and "updated" in output
    assert "Good feed" in output and "Bad feed" in output
    assert "2 polled, 1 fine, 1 failed." in output and "HTTP 500" in output
    assert Article.objects.count() == 3 and FetchAttempt.objects.count() == 2


def test_pollfeeds_due_and_all(feed_server):
    SourceFactory(feed_url=feed_server.serve("/feed.xml", file="feeds/rss20.xml"))
    assert "1 polled" in run("pollfeeds", "--due")
    assert "Nothing to poll." in run("pollfeeds", "--due")
    assert "1 polled" in run("pollfeeds", "--all")


def test_pollfeeds_reports_a_database_failure_and_goes_on_with_the_next_source(feed_server, monkeypatch, caplog):
    first = SourceFactory(name="First feed", feed_url=feed_server.serve("/one.xml", file="feeds/rss20.xml"))
    second = SourceFactory(name="Second feed", feed_url=feed_server.serve("/two.xml", file="feeds/atom10.xml"))
    real_store = store_module.store_entries

    def store(*, source, **kwargs):
        if source.pk == first.pk:
            raise OperationalError("server closed the connection unexpectedly\n\tThis probably means ...")
        return real_store(source=source, **kwargs)

    monkeypatch.setattr(store_module, "store_entries", store)
    with caplog.at_level(logging.ERROR, logger="feeds.poll"):
        output = run("pollfeeds", "--source", str(first.pk), str(second.pk))
    assert "2 polled, 1 fine, 1 failed." in output
    assert f"First feed (id {first.pk}): Database error, poll not recorded (OperationalError: server closed" in output
    assert "This probably means" not in output
    assert list(FetchAttempt.objects.values_list("source__name", "outcome")) == [("Second feed", "ok")]
    assert Article.objects.filter(source=second).count() == 2 and not Article.objects.filter(source=first).exists()
    assert [type(record.exc_info[1]) for record in caplog.records if record.exc_info] == [OperationalError]


@pytest.mark.django_db(transaction=True)
def test_pollfeeds_reconnects_after_the_database_drops_the_connection(feed_server, monkeypatch):
    first = SourceFactory(name="First feed", feed_url=feed_server.serve("/one.xml", file="feeds/rss20.xml"))
    second = SourceFactory(name="Second feed", feed_url=feed_server.serve("/two.xml", file="feeds/atom10.xml"))
    real_rows = services.stored_rows

    def rows(*, source, **kwargs):
        if source.pk == first.pk:
            with connection.cursor() as cursor:  # the server ends this session, as in a restart or failover
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real_rows(source=source, **kwargs)

    monkeypatch.setattr(services, "stored_rows", rows)
    output = run("pollfeeds", "--source", str(first.pk), str(second.pk))
    assert "2 polled, 1 fine, 1 failed." in output and "Database error, poll not recorded" in output
    assert Article.objects.filter(source=second).count() == 2


@pytest.mark.parametrize("args", [[], ["--all", "--due"], ["--source", "999999"]])
def test_pollfeeds_misuse_is_an_error(args):
    with pytest.raises(CommandError):
        run("pollfeeds", *args)


def test_opml_export_then_import_round_trips(tmp_path):
    SourceFactory(name="Gazette & Co", feed_url="https://gazette.example.com/feed.xml")
    SourceFactory(name="Tech", feed_url="https://tech.example.net/atom")
    path = tmp_path / "sources.opml"
    run("exportopml", "--output", str(path))
    assert 'xmlUrl="https://gazette.example.com/feed.xml"' in path.read_text()
    Source.objects.all().delete()
    assert "Added 2 sources; 0 already present." in run("importopml", str(path))
    assert sorted(Source.objects.values_list("name", flat=True)) == ["Gazette & Co", "Tech"]
    assert "Added 0 sources; 2 already present." in run("importopml", str(path))


def test_opml_folders_survive_import_and_export(tmp_path):
    path = tmp_path / "reader.opml"
    path.write_text(
        '<opml version="2.0"><body>'
        '<outline text="Tech"><outline text="Europe">'
        '<outline text="Heise" xmlUrl="https://heise.example.de/rss"/></outline>'
        '<outline text="Ars" xmlUrl="https://ars.example.com/feed"/></outline>'
        '<outline text="Loose" xmlUrl="https://loose.example.org/atom"/>'
        "</body></opml>"
    )
    run("importopml", str(path))
    assert dict(Source.objects.values_list("name", "category")) == {
        "Heise": "Tech/Europe",
        "Ars": "Tech",
        "Loose": "",
    }
    exported = tmp_path / "back.opml"
    run("exportopml", "--output", str(exported))
    body = ET.fromstring(exported.read_bytes()).find("body")  # noqa: S314 - our own export
    tech = body.find("outline[@text='Tech']")
    assert tech.get("xmlUrl") is None
    assert [outline.get("text") for outline in tech.findall("outline")] == ["Ars", "Europe"]
    assert tech.find("outline[@text='Europe']/outline").get("xmlUrl") == "https://heise.example.de/rss"
    assert body.find("outline[@text='Loose']").get("xmlUrl") == "https://loose.example.org/atom"
    Source.objects.all().delete()
    run("importopml", str(exported))
    assert dict(Source.objects.values_list("name", "category")) == {
        "Heise": "Tech/Europe",
        "Ars": "Tech",
        "Loose": "",
    }


def test_importopml_refuses_bad_urls_and_entity_tricks(tmp_path):
    path = tmp_path / "list.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="Local" xmlUrl="file:///etc/passwd"/>'
        '<outline text="Good" xmlUrl="https://good.example.com/rss"/></body></opml>'
    )
    output = run("importopml", str(path))
    assert "Added 1 sources" in output and "Refused Local" in output
    path.write_text('<!DOCTYPE opml [<!ENTITY a "b">]><opml><body/></opml>')
    with pytest.raises(CommandError, match="DOCTYPE"):
        run("importopml", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        run("importopml", str(tmp_path / "missing.opml"))


def test_sample_images_are_site_relative_static_paths_so_they_show_on_any_address(client, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    run("loadsamples")
    with_images = Article.objects.exclude(image_url="")
    assert with_images.count() >= 20
    assert all(post.image_url.startswith("/static/feeds/samples/images/") for post in with_images)
    assert not Article.objects.filter(body_html__contains="127.0.0.1").exists()
    post = with_images.first()
    settings.SITE_URL = "https://news.example.com"
    page = client.get(post.get_absolute_url(), HTTP_HOST="localhost").content.decode()
    assert f'src="{post.image_url}"' in page
    assert f'<meta property="og:image" content="https://news.example.com{post.image_url}">' in page
    assert finders.find(post.image_url.removeprefix("/static/"))  # a file the static files serve


def test_loadsamples_rewrites_images_baked_in_by_an_older_version(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    run("loadsamples")
    baked = "http://127.0.0.1:8000/static/feeds/samples/"
    Source.objects.update(etag='"sample-0123456789abcdef0123456789abcdef"')  # an old version's marker
    Article.objects.update(image_url=Replace("image_url", Value("/static/feeds/samples/"), Value(baked)))
    assert "0 new, 0 updated" not in run("loadsamples")
    assert not Article.objects.filter(image_url__startswith="http").exists()
    assert Article.objects.count() == 60
    assert "unchanged" in run("loadsamples")


def test_loadsamples_loads_three_sources_and_sixty_posts_and_is_idempotent():
    run("loadsamples")
    assert Source.objects.count() == len(SAMPLES) == 3 and Article.objects.count() == 60
    assert Article.objects.exclude(image_url="").count() >= 20
    for article in Article.objects.all():
        body = article.body_html.lower()
        assert "<script" not in body and "javascript:" not in body and "onclick" not in body
        assert "\x00" not in article.title and "\u202e" not in article.title
    assert not Source.objects.filter(is_active=True).exists()
    assert "unchanged" in run("loadsamples")
    assert Article.objects.count() == 60
