"""The add-source form: it fetches the address once and shows what it found before anything is saved."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from feeds.feed_check import feed_check
from feeds.ingest.rules import rule_problems
from feeds.ingest.selectors import compiled_selectors
from feeds.models import Source
from feeds.services import unique_source_slug

FEED_CHECKED = "feed_checked"
REPUBLISHING_FIELDS = [
    "keep_rules",
    "block_rules",
    "publish_mode",
    "content_mode",
    "remove_selectors",
    "canonical_to_original",
    "noindex",
    "author_mode",
]
# Choices a form from before the rules existed does not send: left as they were.
MODE_FIELDS = ["publish_mode", "content_mode", "author_mode"]


def refuse_invalid_rules(text: str) -> str:
    """The rule list as typed, or a ValidationError naming each line the engine refuses, in its own words."""
    problems = rule_problems(text)
    if problems:
        raise ValidationError([f"Not a valid rule, {problem}" for problem in problems])
    return text


def https_by_default(db_field, **kwargs):
    """Form fields for the model, with addresses typed without a scheme taken as https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


def feed_url_field(help_text: str) -> forms.URLField:
    """The feed address: a plain text box (type=url would refuse an address typed without https://)."""
    return forms.URLField(
        label="Feed URL",
        max_length=2000,
        assume_scheme="https",
        help_text=help_text,
        widget=forms.TextInput(attrs={"class": "vURLField", "inputmode": "url", "autocomplete": "url"}),
    )


def typed(form: forms.Form, field: str) -> str:
    """What the editor typed in a field, before cleaning added a scheme."""
    return (form.data.get(form.add_prefix(field)) or "").strip()


class SourceAddForm(forms.ModelForm):
    """Step one checks the URL (feed_check) and fills in what it found; step two saves it unchanged."""

    feed_url = feed_url_field(
        "The feed's address, or the address of a web page that links to its feed. It is checked before the "
        "source is saved."
    )
    # The feed URL the editor has already seen checked; saving that same URL does not fetch it again.
    checked_feed_url = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Source
        formfield_callback = https_by_default
        fields = ["feed_url", "name", "slug", "site_url", "poll_interval_minutes", "is_active"]
        help_texts = {"name": "Leave blank to use the feed's own title."}
        # The admin's URL widget says "Currently: <link>", as if the address found by the check were saved.
        widgets = {"site_url": forms.TextInput(attrs={"class": "vURLField", "inputmode": "url"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["slug"].required = False
        self.probe = None

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("feed_url")
        if not url or self.has_error("feed_url"):
            return cleaned
        if cleaned.get("checked_feed_url") != url:
            self._check(url)
        if self.saved_unchecked and not cleaned.get("name"):
            cleaned["name"] = (urlsplit(url).hostname or "Feed")[:200]
        if not cleaned.get("name"):
            self.add_error("name", "Give the source a name; the feed has no title of its own.")
        elif not cleaned.get("slug"):
            cleaned["slug"] = unique_source_slug(cleaned["name"])
        return cleaned

    @property
    def saved_unchecked(self) -> bool:
        """The check ran out of time: the source is saved as typed and its first poll says what it is."""
        return bool(self.probe and self.probe.timed_out)

    def _check(self, url: str) -> None:
        self._refuse_known(url)
        # Capped well under the proxy's and gunicorn's timeouts, so the editor gets an answer, never a 504.
        probe = feed_check(typed=typed(self, "feed_url"), url=url, deadline_seconds=settings.FEEDS_ADD_CHECK_SECONDS)
        if probe.timed_out:
            self.probe = probe
            return
        if probe.error:
            raise ValidationError({"feed_url": probe.error})
        if probe.feed_url != url:
            self._refuse_known(probe.feed_url)
        self.probe = probe
        data = self.data.copy()
        data[self.add_prefix("feed_url")] = data[self.add_prefix("checked_feed_url")] = probe.feed_url
        if not data.get(self.add_prefix("name")):
            data[self.add_prefix("name")] = probe.title[:200]
        if not data.get(self.add_prefix("site_url")):
            data[self.add_prefix("site_url")] = probe.site_url
        if not data.get(self.add_prefix("slug")) and data[self.add_prefix("name")]:
            data[self.add_prefix("slug")] = unique_source_slug(data[self.add_prefix("name")])
        self.data = data
        raise ValidationError("The feed was checked; look at what was found and save again.", code=FEED_CHECKED)

    def _refuse_known(self, url: str) -> None:
        existing = Source.objects.filter(feed_url=url).first()
        if existing:
            raise ValidationError({"feed_url": f"This feed is already a source: {existing.name}."})


class SourceChangeForm(forms.ModelForm):
    """The source's page: a changed feed URL is checked like a new one before it is saved."""

    feed_url = feed_url_field("Changing it fetches the new address once to check it; the backoff starts afresh.")

    class Meta:
        model = Source
        formfield_callback = https_by_default
        fields = [
            "name",
            "slug",
            "feed_url",
            "site_url",
            "is_active",
            "poll_interval_minutes",
            "disabled_reason",
            *REPUBLISHING_FIELDS,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A form from before the rules existed (an open tab during an upgrade) leaves the modes as they were.
        for name in MODE_FIELDS:
            self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in MODE_FIELDS:
            cleaned[name] = cleaned.get(name) or getattr(self.instance, name)
        return cleaned

    def clean_keep_rules(self) -> str:
        return refuse_invalid_rules(self.cleaned_data["keep_rules"])

    def clean_block_rules(self) -> str:
        return refuse_invalid_rules(self.cleaned_data["block_rules"])

    def clean_remove_selectors(self) -> str:
        text = self.cleaned_data["remove_selectors"]
        _selectors, problems = compiled_selectors(text)
        if problems:
            raise ValidationError([f"Not a valid CSS selector, {problem}" for problem in problems])
        return text

    def clean_feed_url(self) -> str:
        url = self.cleaned_data["feed_url"]
        if "feed_url" not in self.changed_data:
            return url
        other = Source.objects.filter(feed_url=url).exclude(pk=self.instance.pk).first()
        if other:
            raise ValidationError(f"This feed is already a source: {other.name}.")
        probe = feed_check(typed=typed(self, "feed_url"), url=url, deadline_seconds=settings.FEEDS_ADD_CHECK_SECONDS)
        if probe.timed_out:
            return url  # a slow server, not a wrong address: saved as typed, and the first poll will tell
        if probe.error:
            raise ValidationError(probe.error)
        return probe.feed_url
