"""A source's republishing rules (and its User-Agent override) as OPML outline attributes in the newsblog
namespace, and back.

Other readers ignore attributes in a namespace they do not know, so the file stays a plain subscription list.
"""

import xml.etree.ElementTree as ET  # noqa: N817 - the conventional name

from django.core.exceptions import ValidationError

from feeds.ingest.rules import rule_problems
from feeds.ingest.selectors import compiled_selectors
from feeds.models import ContentMode, PublishMode, Source

NAMESPACE = "urn:newsblog:opml:1"
PREFIX = "newsblog"
TEXT_RULES = ("keep_rules", "block_rules", "remove_selectors", "author_mode", "user_agent")
CHOICE_RULES = {"publish_mode": PublishMode.values, "content_mode": ContentMode.values}
FLAG_RULES = ("canonical_to_original", "noindex")

ET.register_namespace(PREFIX, NAMESPACE)


def _name(field: str) -> str:
    return f"{{{NAMESPACE}}}{field}"


def rule_attributes(source: Source) -> dict[str, str]:
    """Every rule of the source as a namespaced attribute (line breaks survive: ElementTree writes &#10;)."""
    attributes = {_name(field): getattr(source, field) for field in (*TEXT_RULES, *CHOICE_RULES)}
    attributes.update({_name(field): "true" if getattr(source, field) else "false" for field in FLAG_RULES})
    return attributes


def rules_from_outline(outline: ET.Element) -> tuple[dict[str, object], list[str]]:
    """The rules an outline carries, and a message for each value refused (that rule is left at its default)."""
    rules: dict[str, object] = {}
    refused: list[str] = []
    for field in (*TEXT_RULES, *CHOICE_RULES, *FLAG_RULES):
        value = outline.get(_name(field))
        if value is None:
            continue
        problem = _problem(field, value)
        if problem:
            refused.append(f"{field}: {problem}")
        else:
            rules[field] = value.strip().lower() == "true" if field in FLAG_RULES else value
    return rules, refused


def _problem(field: str, value: str) -> str:
    """Why a value cannot be taken for the field, or ""."""
    if field in ("keep_rules", "block_rules"):
        return "; ".join(rule_problems(value))
    if field == "remove_selectors":
        return "; ".join(compiled_selectors(value)[1])
    if field in CHOICE_RULES and value not in CHOICE_RULES[field]:
        return f"unknown value {value!r}"
    if field in FLAG_RULES and value.strip().lower() not in ("true", "false"):
        return f"{value!r} is neither true nor false"
    if field == "author_mode" and not value.strip():
        return "empty"
    if field == "user_agent":
        return _user_agent_problem(value)
    return ""


def _user_agent_problem(value: str) -> str:
    """Why a User-Agent override cannot be sent as a header, or "" (the model field's own validation)."""
    field = Source._meta.get_field("user_agent")
    try:
        field.clean(value, None)
    except ValidationError as error:
        return "; ".join(error.messages)
    return ""
