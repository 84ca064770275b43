"""Remove-selectors stage: elements an editor names with CSS selectors (share bars, related boxes, ads) are cut
from an entry's upstream HTML before it is sanitized; never touches the DB."""

import cssselect
import lxml.html
from lxml import etree

from feeds.ingest.rules import rule_lines


def compiled_selectors(text: str) -> tuple[list[etree.XPath], list[str]]:
    """One XPath per selector line, and what is wrong with each line cssselect refuses (those are left out)."""
    compiled, problems = [], []
    for line in rule_lines(text):
        try:
            compiled.append(etree.XPath(cssselect.HTMLTranslator().css_to_xpath(line)))
        except (cssselect.SelectorError, etree.XPathSyntaxError) as error:
            problems.append(f"{line}: {error}")
    return compiled, problems


def without_selected(html: str, selectors: list[etree.XPath]) -> str:
    """The HTML with every element a selector matches removed (with its content, keeping the text after it)."""
    if not selectors or not html.strip():
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for selector in selectors:
        for element in selector(root):
            if element is not root:
                element.drop_tree()
    return (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
