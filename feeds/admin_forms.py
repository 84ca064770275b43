"""The add-source form: it fetches the address once and shows what it found before anything is saved."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from feeds.models import Source
from feeds.services import feed_probe

FEED_CHECKED = "feed_checked"


def unique_slug(name: str) -> str:
    """A slug for a new source from its name, numbered when another source already has it."""
    base = slugify(name)[:90] or "source"
    slug, number = base, 1
    while Source.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def https_by_default(db_field, **kwargs):
    """Form fields for the model, with addresses typed without a scheme taken as https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class SourceAddForm(forms.ModelForm):
    """Step one checks the URL (feed_probe) and fills in what it found; step two saves it unchanged."""

    # The feed URL the editor has already seen checked; saving that same URL does not fetch it again.
    checked_feed_url = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Source
        formfield_callback = https_by_default
        fields = ["feed_url", "name", "slug", "site_url", "poll_interval_minutes", "is_active"]
        help_texts = {
            "feed_url": "The feed's address, or the address of a web page that links to its feed. "
            "It is checked before the source is saved.",
            "name": "Leave blank to use the feed's own title.",
        }

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
            cleaned["slug"] = unique_slug(cleaned["name"])
        return cleaned

    @property
    def saved_unchecked(self) -> bool:
        """The check ran out of time: the source is saved as typed and its first poll says what it is."""
        return bool(self.probe and self.probe.timed_out)

    def _check(self, url: str) -> None:
        self._refuse_known(url)
        # Capped well under the proxy's and gunicorn's timeouts, so the editor gets an answer, never a 504.
        probe = feed_probe(url=url, deadline_seconds=settings.FEEDS_ADD_CHECK_SECONDS)
        if probe.timed_out:
            self.probe = probe
            return
        if probe.error:
            raise ValidationError({"feed_url": f"This address can't be used as a feed: {probe.error}"})
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
            data[self.add_prefix("slug")] = unique_slug(data[self.add_prefix("name")])
        self.data = data
        raise ValidationError("The feed was checked; look at what was found and save again.", code=FEED_CHECKED)

    def _refuse_known(self, url: str) -> None:
        existing = Source.objects.filter(feed_url=url).first()
        if existing:
            raise ValidationError({"feed_url": f"This feed is already a source: {existing.name}."})
