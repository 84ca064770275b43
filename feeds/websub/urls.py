from django.urls import path

from feeds.websub.views import callback

urlpatterns = [path("<str:callback_id>/", callback, name="websub-callback")]
