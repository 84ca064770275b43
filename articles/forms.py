from django import forms
from django.conf import settings

from articles.models import Comment


class CommentForm(forms.ModelForm):
    """A reader's comment: name, optional e-mail (never shown), text; plus a field only robots fill in."""

    # The honeypot: hidden from people by CSS and from screen readers; a filled-in value marks a robot.
    website = forms.CharField(required=False, label="Leave this field empty")

    class Meta:
        model = Comment
        fields = ["author_name", "email", "body"]
        labels = {"author_name": "Name", "email": "E-mail (optional, never shown)", "body": "Comment"}
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
        error_messages = {
            "author_name": {"required": "Please give a name to show with your comment."},
            "body": {
                "required": "Please write a comment.",
                "max_length": "%(limit_value)d characters at most, please (this is %(show_value)d).",
            },
            "email": {"invalid": "This does not look like an e-mail address; leave it empty if you prefer."},
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["author_name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        self.fields["body"].help_text = self.body_help_text()

    def body_help_text(self) -> str:
        """What a reader should know before writing, from the field's limit and the moderation setting."""
        limit = self.fields["body"].max_length
        if settings.COMMENTS_AUTO_APPROVE:
            when = "Your comment appears as soon as you post it."
        else:
            when = "Comments appear once an editor approves them."
        return f"Plain text, up to {limit:,} characters. Links are allowed. {when}"

    def is_robot(self) -> bool:
        """True when the honeypot was filled in."""
        return bool(self.cleaned_data.get("website"))
