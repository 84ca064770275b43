"""The site with view counting switched off: the baseline of bench/views.py's served comparison."""
# isort: skip_file (Django must be set up by newsblog.wsgi before articles is imported)

from articles import popularity
from newsblog.wsgi import application

popularity.request_counts = lambda request: False

__all__ = ["application"]
