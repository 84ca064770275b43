"""WebSub push (W3C Recommendation, 2018): we subscribe to the hubs feeds name, and hubs push new entries to us.

discovery.py   the hub and self URL of a fetched feed (Link headers, then the document)
lifecycle.py   after each poll: subscribe, keep, fall back; the beat task's renewals, expiries and clean-ups
hub.py         the subscribe/unsubscribe requests, through the fetcher's address policy
intent.py      the hub's verification of intent (GET on the callback)
push.py        signed pushes: checked and kept by the callback, ingested by the worker as "push" attempts
signature.py   X-Hub-Signature (sha1/sha256/sha384/sha512 HMAC, constant-time comparison)
views.py, urls.py, tasks.py, admin.py, signals.py, models.py: the Django and Celery shells

This package imports nothing at load time: feeds.models imports its models from here.
"""
