"""manage.py exportopml [--output FILE]: the sources as an OPML 2.0 subscription list, folders as outlines,
republishing rules as attributes in the newsblog namespace (feeds/opml_rules.py)."""

import xml.etree.ElementTree as ET  # noqa: N817 - the conventional name
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from feeds.models import Source
from feeds.opml_rules import rule_attributes


class Command(BaseCommand):
    help = "Write every source as OPML 2.0 (to standard output unless --output is given)."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="", help="write to this file instead of standard output")

    def handle(self, *args, output: str, **options):
        document = opml_document(Source.objects.order_by("category", "name"))
        if output:
            Path(output).write_text(document, encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(document, ending="")


def opml_document(sources) -> str:
    """OPML 2.0 text listing the sources, each inside the folder outlines its category names."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = f"{settings.SITE_NAME} sources"
    ET.SubElement(head, "dateCreated").text = timezone.now().strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(root, "body")
    folders: dict[tuple[str, ...], ET.Element] = {(): body}
    for source in sources:
        attributes = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": source.feed_url}
        if source.site_url:
            attributes["htmlUrl"] = source.site_url
        attributes.update(rule_attributes(source))
        ET.SubElement(_folder(folders, source.category), "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _folder(folders: dict[tuple[str, ...], ET.Element], category: str) -> ET.Element:
    """The outline for a category path such as "Tech/Europe", made (with its parents) on first use."""
    path = tuple(part.strip() for part in category.split("/") if part.strip())
    for depth in range(1, len(path) + 1):
        if path[:depth] not in folders:
            name = path[depth - 1]
            folders[path[:depth]] = ET.SubElement(folders[path[: depth - 1]], "outline", {"text": name, "title": name})
    return folders[path]
