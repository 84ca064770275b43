from django.contrib import admin

from articles.models import Article, ArticleDailyViews, Comment, Label


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "published_at", "status", "is_featured", "total_views"]
    list_filter = ["status", "is_featured", "source"]
    search_fields = ["title", "body_html"]
    list_select_related = ["source"]
    date_hierarchy = "published_at"
    readonly_fields = ["guid", "url", "slug", "fetched_at", "updated_at", "content_hash", "total_views"]
    filter_horizontal = ["labels"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author_name", "article", "created_at", "status"]
    list_filter = ["status"]
    search_fields = ["author_name", "body", "article__title"]
    list_select_related = ["article"]
    readonly_fields = ["ip_hash"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ArticleDailyViews)
class ArticleDailyViewsAdmin(admin.ModelAdmin):
    list_display = ["article", "date", "views", "unique_visitors"]
    list_select_related = ["article"]
    date_hierarchy = "date"
    search_fields = ["article__title"]

    def has_add_permission(self, request):
        return False
