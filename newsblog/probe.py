"""Container health probe: `python newsblog/probe.py [URL]` exits 0 when URL (default /healthz/live) answers 200.

It sends a Host header the site allows (the first of DJANGO_ALLOWED_HOSTS), so the probe keeps working
when the operator lists only the public host name; Django's host check would answer 400 to "localhost".
Run as a file, it imports neither Django nor Celery, so it stays cheap enough to run every few seconds.
"""

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz/live"
TIMEOUT_SECONDS = 5


def probe_host(allowed_hosts: str) -> str:
    """A concrete host name the site accepts: the first allowed host, a wildcard's domain, or localhost."""
    for host in (item.strip() for item in allowed_hosts.split(",")):
        if host and host != "*":
            return host.lstrip(".")
    return "localhost"


def probe(url: str) -> tuple[int, str]:
    """The status and body of a GET to url, sent with an allowed Host header."""
    host = probe_host(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 - the URL is the operator's own
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def main(argv: list[str]) -> int:
    url = argv[0] if argv else DEFAULT_URL
    try:
        status, body = probe(url)
    except OSError as error:
        sys.stderr.write(f"{url}: {error}\n")
        return 1
    if status != 200:
        sys.stderr.write(f"{url}: HTTP {status} {body[:500]}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
