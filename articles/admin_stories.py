"""The post admin's story tools: the story box on a post, the "Stories" filter, "Split from story" and
"Merge into…" (an intermediate page where the editor picks the lead)."""

from django.contrib import admin
from django.db.models import Count, Q
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from articles.models import Article
from articles.stories.editing import story_merge, story_split
from operations.admin_history import log_bulk_change


class StoriesFilter(admin.SimpleListFilter):
    title = "stories"
    parameter_name = "story"

    def lookups(self, request, model_admin):
        return [("merged", "Merged stories (leads, with their copy count)"), ("copies", "Copies")]

    def queryset(self, request, queryset):
        if self.value() == "merged":
            copies = Count("story_copies", filter=Q(story_copies__status=Article.Status.COPY))
            return queryset.filter(story_lead__isnull=True).annotate(copy_count=copies).filter(copy_count__gt=0)
        if self.value() == "copies":
            return queryset.filter(story_lead__isnull=False)
        return queryset


def _admin_link(article: Article) -> str:
    return format_html(
        '<a href="{}">{}</a> ({})', reverse("admin:articles_article_change", args=[article.pk]), article, article.source
    )


class StoryAdminMixin:
    """What ArticleAdmin adds for stories; kept here so the post admin stays about posts."""

    def get_list_display(self, request):
        # The copy count only where the Stories filter computes it: the default list keeps its width.
        columns = super().get_list_display(request)
        return (
            [*columns, "story_copies_count"] if request.GET.get(StoriesFilter.parameter_name) == "merged" else columns
        )

    @admin.display(description="copies")
    def story_copies_count(self, obj):
        return getattr(obj, "copy_count", "")

    @admin.display(description="story")
    def story(self, obj):
        if obj.story_lead_id is not None:
            return format_html("A copy in the story led by {}.", _admin_link(obj.story_lead))
        copies = list(obj.story_copies.select_related("source").order_by("id"))
        if not copies:
            return "A story of its own."
        rows = format_html_join("", "<li>{}</li>", ((_admin_link(copy),) for copy in copies))
        return format_html("Leads a story with these copies (not listed on the site):<ul>{}</ul>", rows)

    @admin.action(description="Split from story (the copy becomes its own post)", permissions=["change"])
    def split_from_story(self, request, queryset):
        log_bulk_change(request=request, objects=queryset, message="Split from its story (list action).")
        count = story_split(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} post{pluralize(count)} split from their stories.")

    @admin.action(description="Merge into… (one story; choose the lead)", permissions=["change"])
    def merge_into(self, request, queryset):
        posts = list(queryset.select_related("source").order_by("published_at", "id"))
        lead_id = request.POST.get("lead")
        if lead_id is None or len(posts) < 2:
            if len(posts) < 2:
                self.message_user(request, "Select two posts or more to merge.")
                return None
            context = {**self.admin_site.each_context(request), "posts": posts, "opts": self.model._meta}
            return TemplateResponse(request, "admin/articles/article/merge_into.html", context)
        lead = next((post for post in posts if str(post.pk) == lead_id), None)
        if lead is None:
            self.message_user(request, "Choose the lead among the selected posts.")
            return None
        log_bulk_change(request=request, objects=queryset, message=f"Merged into the story led by post {lead.pk}.")
        count = story_merge(lead=lead, ids=[post.pk for post in posts])
        self.message_user(request, f"{count} post{pluralize(count)} merged into “{lead}”.")
        return None
