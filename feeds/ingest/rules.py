"""Rules stage: which entries a source takes, from its keep_rules and block_rules; never touches the DB.

One rule a line: a word or phrase (case-insensitive, whole words) or `re:<pattern>`, optionally after a field
prefix (`title:`, `content:`, `author:`, `category:`; by default title and content). An entry is taken when it
matches no block rule and, if there are keep rules, at least one of them: block wins.

Patterns are editor input, so they run on RE2, whose matching time is linear in the text: no rule can stall a
poll. A rule the engine refuses is left out and reported (RuleSet.problems), never fatal.
"""

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import re2

from feeds.ingest.parse import ParsedEntry

FIELDS = ("title", "content", "author", "category")
DEFAULT_FIELDS = ("title", "content")
REGEX_PREFIX = "re:"
# RE2's memory budget per compiled rule group: a pattern that needs more is refused, not run slowly.
MAX_RULE_MEMORY = 8 << 20
_FIELD_PREFIX = re.compile(r"^(title|content|author|category):\s*", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Rule:
    """One line of a rule list: the fields it looks at and its RE2 pattern."""

    line: str
    fields: tuple[str, ...]
    pattern: str


@dataclass(frozen=True)
class EntryText:
    """The plain text of an entry's fields, as rules see them."""

    title: str = ""
    content: str = ""
    author: str = ""
    category: str = ""


class RuleError(ValueError):
    """A rule the engine refuses; the message is the engine's own."""


def parse_rule(line: str) -> Rule:
    """A rule from one stripped, non-empty line."""
    fields, body = DEFAULT_FIELDS, line
    prefix = _FIELD_PREFIX.match(line)
    if prefix:
        fields, body = (prefix.group(1).lower(),), line[prefix.end() :]
    pattern = body[len(REGEX_PREFIX) :] if body.startswith(REGEX_PREFIX) else _phrase_pattern(body)
    if not pattern:
        raise RuleError("the rule is empty")
    return Rule(line=line, fields=fields, pattern=pattern)


def _phrase_pattern(phrase: str) -> str:
    """Whole words, any case, any run of spaces between them; a phrase edge that is not a word character has no
    word boundary to respect (e.g. "C++")."""
    words = phrase.split()
    if not words:
        return ""
    pattern = r"\s+".join(re2.escape(word) for word in words)
    start = r"\b" if re.match(r"\w", words[0]) else ""
    end = r"\b" if re.search(r"\w$", words[-1]) else ""
    return f"(?i:{start}{pattern}{end})"


def rule_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # refused patterns are reported to the editor, not dumped on stderr
    options.max_mem = MAX_RULE_MEMORY
    return options


def _compile(pattern: str):
    try:
        return re2.compile(pattern, _options())
    except re2.error as error:
        raise RuleError(_engine_message(error)) from error


def _engine_message(error: re2.error) -> str:
    message = error.args[0] if error.args else str(error)
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def rule_problems(text: str) -> list[str]:
    """What is wrong with each refused line of a rule list, in the engine's words ("line 2 (re:a(): missing ): a(")."""
    problems = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            _compile(parse_rule(line).pattern)
        except RuleError as error:
            problems.append(f"line {number} ({line}): {error}")
    return problems


@dataclass
class _Group:
    """All rules of one kind looking at one field, as a single alternation: one scan of the text for all."""

    rules: list[Rule]
    compiled: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def prepare(self) -> None:
        singles = [(rule, compiled) for rule in self.rules if (compiled := self._compiled(rule)) is not None]
        self.rules = [rule for rule, _compiled in singles]
        if not singles:
            return
        try:
            self.compiled = [_compile("|".join(f"(?:{rule.pattern})" for rule in self.rules))]
        except RuleError:
            # Each rule fits RE2's memory budget but all together do not: scan once per rule instead.
            self.compiled = [compiled for _rule, compiled in singles]

    def _compiled(self, rule: Rule):
        try:
            return _compile(rule.pattern)
        except RuleError as error:
            self.problems.append(f"{rule.line}: {error}")
            return None

    def matches(self, text: str) -> bool:
        return any(compiled.search(text) is not None for compiled in self.compiled)


@dataclass
class RuleSet:
    """A source's compiled keep and block rules; `problems` lists the rules left out and why."""

    keep: dict[str, _Group]
    block: dict[str, _Group]
    problems: list[str]

    @property
    def has_keep(self) -> bool:
        return any(group.rules for group in self.keep.values())

    @property
    def empty(self) -> bool:
        return not self.has_keep and not any(group.rules for group in self.block.values())

    def takes(self, text: EntryText) -> bool:
        """Whether an entry with this text is taken: no block rule matches and, if keep rules exist, one does."""
        if _any_match(self.block, text):
            return False
        return not self.has_keep or _any_match(self.keep, text)


def _any_match(groups: dict[str, _Group], text: EntryText) -> bool:
    return any(group.matches(getattr(text, name)) for name, group in groups.items())


def rule_set(*, keep_rules: str, block_rules: str) -> RuleSet:
    """Compile a source's rules once for a poll; a line the engine refuses is left out and named in problems."""
    problems: list[str] = []
    keep = _groups(rule_lines(keep_rules), "keep", problems)
    block = _groups(rule_lines(block_rules), "block", problems)
    return RuleSet(keep=keep, block=block, problems=list(dict.fromkeys(problems)))


def _groups(lines: Iterable[str], kind: str, problems: list[str]) -> dict[str, _Group]:
    by_field: dict[str, list[Rule]] = {}
    for line in lines:
        try:
            rule = parse_rule(line)
        except RuleError as error:
            problems.append(f"{kind} rule {line}: {error}")
            continue
        for name in rule.fields:
            by_field.setdefault(name, []).append(rule)
    groups = {name: _Group(rules) for name, rules in by_field.items()}
    for group in groups.values():
        group.prepare()
        problems.extend(f"{kind} rule {problem}" for problem in group.problems)
    return groups


def entry_text(entry: ParsedEntry) -> EntryText:
    """The text rules see: the title, the content without markup (scripts and styles dropped), author, categories."""
    content = _TAG.sub(" ", _SCRIPT.sub(" ", entry.content_html or ""))
    return EntryText(
        title=entry.title,
        content=html.unescape(content),
        author=entry.author,
        category="\n".join(entry.categories),
    )
