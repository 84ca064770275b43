"""The site's one way of showing a date and time, in pages, our feeds and the desk (Django's named formats)."""

# A reader's page: "1 December 2026, 10:37".
DATETIME_FORMAT = "j F Y, H:i"
# The desk's tables and notes, where space is short: "1 Dec 2026 10:37".
SHORT_DATETIME_FORMAT = "j M Y H:i"
