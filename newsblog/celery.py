"""The Celery app. Workers: `celery -A newsblog worker -l info`; beat: `celery -A newsblog beat -l info`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsblog.settings")

app = Celery("newsblog")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
