"""manage.py importopml FILE: add every feed an OPML subscription list names (nothing is fetched).

A feed inside folder outlines keeps its folders as its category ("Tech/Europe"); republishing rules written by
exportopml (newsblog namespace) are read back, and a rule that is not valid is refused with a warning.
"""

import re
import xml.etree.ElementTree as ET  # noqa: N817 - the conventional name
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feeds.ingest.fetch import FetchError
from feeds.models import Source
from feeds.opml_rules import rules_from_outline
from feeds.services import source_create

MAX_OPML_BYTES = 10 * 1024 * 1024


class Command(BaseCommand):
    help = "Import the feeds of an OPML file as sources. Feeds already present are skipped."

    def add_arguments(self, parser):
        parser.add_argument("file", help="an OPML 1.0/2.0 file, as exported by most feed readers")

    def handle(self, *args, file: str, **options):
        outlines = self._outlines(Path(file))
        added, skipped, refused = 0, 0, []
        for outline, category in outlines:
            url = (outline.get("xmlUrl") or "").strip()
            name = (outline.get("title") or outline.get("text") or "").strip()
            site_url = (outline.get("htmlUrl") or "")[:2000]
            rules, refused_rules = rules_from_outline(outline)
            try:
                source = source_create(feed_url=url, name=name, site_url=site_url, category=category)
                Source.objects.filter(pk=source.pk).update(**rules)
                added += 1
                refused.extend(f"{name or url}'s rule {problem}" for problem in refused_rules)
            except ValueError:
                skipped += 1
            except FetchError as error:
                refused.append(f"{name or url}: {error}")
        self.stdout.write(self.style.SUCCESS(f"Added {added} sources; {skipped} already present."))
        for line in refused:
            self.stdout.write(self.style.WARNING(f"Refused {line}"))

    def _outlines(self, path: Path) -> list[tuple[ET.Element, str]]:
        try:
            data = path.read_bytes()[: MAX_OPML_BYTES + 1]
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        if len(data) > MAX_OPML_BYTES:
            raise CommandError(f"{path} is larger than 10 MiB; that is not a subscription list.")
        # A DOCTYPE is the door to entity bombs and external entities; OPML never needs one.
        if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.IGNORECASE):
            raise CommandError(f"{path} contains a DOCTYPE or entity declarations, which are not accepted.")
        try:
            root = ET.fromstring(data)  # noqa: S314 - DOCTYPE and entities refused above
        except ET.ParseError as error:
            raise CommandError(f"{path} is not valid OPML/XML: {error}.") from None
        if root.tag != "opml":
            raise CommandError(f"{path} is not an OPML file (its root element is <{root.tag}>).")
        body = root.find("body")
        return list(_feeds_in(root if body is None else body, folders=()))


def _feeds_in(parent: ET.Element, *, folders: tuple[str, ...]):
    """Each feed outline under parent with its folders joined by "/", depth first, in document order."""
    for outline in parent.findall("outline"):
        if outline.get("xmlUrl"):
            yield outline, "/".join(folders)
        else:
            folder = (outline.get("title") or outline.get("text") or "").strip().replace("/", "-")
            yield from _feeds_in(outline, folders=(*folders, folder) if folder else folders)
