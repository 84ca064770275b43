"""The rules stage on its own: phrases, fields, regular expressions, block wins, refused patterns."""

import pytest

from feeds.ingest.rules import EntryText, entry_text, rule_problems, rule_set
from tests.feeds.rss import entry

STORY = EntryText(
    title="Council approves the new harbour wall",
    content="The vote on the sea wall was close. Sponsored by Acme.",
    author="Mara Lind",
    category="Local News\nTransport",
)


def takes(keep: str = "", block: str = "", text: EntryText = STORY) -> bool:
    return rule_set(keep_rules=keep, block_rules=block).takes(text)


@pytest.mark.parametrize(
    "keep, taken",
    [
        ("harbour wall", True),
        ("HARBOUR   Wall", True),  # any case, any spacing
        ("harbo", False),  # whole words only
        ("title:sea wall", False),  # in the content, not the title
        ("content:sea wall", True),
        ("author:mara", True),
        ("category:local news", True),
        ("category:sport", False),
        (r"re:wall\b.*close", True),
        ("re:^Council", True),
        ("sport\nvote", True),  # any keep rule is enough
    ],
)
def test_keep_rules_take_only_matching_entries(keep, taken):
    assert takes(keep=keep) is taken


def test_no_rules_take_everything_and_block_wins_over_keep():
    assert takes()
    assert not takes(block="sponsored by")
    assert not takes(keep="harbour", block="author:Mara Lind")
    assert takes(keep="harbour", block="author:someone else")


def test_a_phrase_with_symbols_matches_literally():
    text = EntryText(title="C++ 26 and the (new) rules", content="")
    assert takes(keep="C++", text=text)
    assert takes(keep="(new) rules", text=text)
    assert not takes(keep="C+", text=EntryText(title="CC", content=""))


def test_refused_patterns_are_named_with_the_engines_message():
    assert rule_problems("harbour\nre:a(\n\nre:(?<=x)y") == [
        "line 2 (re:a(): missing ): a(",
        "line 4 (re:(?<=x)y): invalid perl operator: (?<=",
    ]
    assert rule_problems("harbour\nre:^wall$\ntitle:re:x+") == []


def test_a_refused_rule_is_skipped_and_reported_while_the_others_still_apply():
    rules = rule_set(keep_rules="re:a(\nharbour", block_rules="")
    assert rules.problems == ["keep rule re:a(: missing ): a("]
    assert rules.takes(STORY)
    assert not rules.takes(EntryText(title="Sport", content="Results"))


def test_only_refused_keep_rules_mean_no_keep_rules_at_all():
    rules = rule_set(keep_rules="re:a(", block_rules="re:(")
    assert len(rules.problems) == 2 and rules.empty and rules.takes(STORY)


def test_patterns_run_in_linear_time():
    # Catastrophic for a backtracking engine (2^30 paths); RE2 answers at once.
    text = EntryText(title="a" * 30 + "!", content="")
    assert not takes(keep="re:^(a+)+$", text=text)


def test_entry_text_drops_markup_scripts_and_styles():
    text = entry_text(
        entry(
            guid="1",
            title="T",
            content="<p>Hello <b>w&amp;orld</b></p><script>var secret</script><style>.x{}</style>",
            categories=["A", "B"],
        )
    )
    assert text.content.split() == ["Hello", "w&orld"]
    assert text.category == "A\nB"
