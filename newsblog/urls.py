from django.contrib import admin
from django.urls import include, path

from newsblog.login_throttle import ThrottledAdminLoginForm

admin.site.login_form = ThrottledAdminLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("articles.urls")),
]
