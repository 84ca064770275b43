"""The upgrade of docs/deploy.md, for real: the previous release keeps working between `migrate` and the restart.

.venv/bin/python scripts/check_upgrade.py [REF]   (REF: the previous release's commit, default HEAD~1)

With DATABASE_URL naming a PostgreSQL server it makes a scratch database there, sets it up with the previous
release's code (migrate, sample feeds), migrates it with this checkout (the expand step), then runs the previous
release's main paths against the new schema: import sources (OPML), reload samples, and serve the home page, a
post, a search and /healthz over HTTP; then this checkout's own pages. Prints one line per step.
"""

import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

PROJECT = Path(__file__).resolve().parent.parent
OPML = (
    '<opml version="2.0"><body><outline text="News"><outline text="Upgrade Check" '
    'xmlUrl="https://upgrade-check.example.com/feed.xml"/></outline></body></opml>'
)
POST_URL = "from articles.models import Article; print(Article.objects.order_by('id').first().get_absolute_url())"


class UpgradeFailed(Exception):
    pass


def extract(ref: str, into: Path) -> str:
    """The files of ref (git archive, so the repository's worktrees are left alone); returns the short hash."""
    commit = git("rev-parse", "--short", ref).strip()
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=PROJECT, capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return commit


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True, check=True).stdout


def scratch_database(url: str) -> str:
    """A new, empty database on the server of url, named after it; returns its URL."""
    parts = urlsplit(url)
    name = f"{parts.path.strip('/') or 'newsblog'}_upgrade_check"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parts.path.strip("/")}" WITH (FORCE)')


def manage(code: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=code, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise UpgradeFailed(f"{code.name}: manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def serve_and_get(code: Path, env: dict[str, str], paths: list[str]) -> dict[str, int]:
    """Start code's web server (runserver, no reload) and GET each path; their statuses."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(port, server)
        return {path: _status(f"http://127.0.0.1:{port}{path}") for path in paths}
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise UpgradeFailed(f"the web server did not start:\n{server.stderr.read()[-3000:] if server.stderr else ''}")


def _status(url: str) -> int:
    agent = {"User-Agent": "Mozilla/5.0 (upgrade check) Firefox/128.0"}
    request = urllib.request.Request(url, headers=agent)  # noqa: S310 - our own local server
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own local server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def check(previous: Path, current: Path, env: dict[str, str], work: Path) -> None:
    step("previous release: migrate and load the sample feeds", manage, previous, env, "migrate", "--no-input")
    manage(previous, env, "loadsamples")
    expand = "this checkout: migrate (expand) while the previous release runs"
    step(expand, manage, current, env, "migrate", "--no-input")
    opml = work / "sources.opml"
    opml.write_text(OPML)
    step("previous release on the new schema: import a source", manage, previous, env, "importopml", str(opml))
    step("previous release on the new schema: reload the samples", manage, previous, env, "loadsamples")
    post = manage(previous, env, "shell", "--verbosity", "0", "-c", POST_URL).strip().splitlines()[-1]
    paths = ["/", post, "/search?q=harbour", "/healthz"]
    for label, code in (("previous release on the new schema", previous), ("this checkout", current)):
        statuses = serve_and_get(code, env, paths)
        print(f"ok   {label}: {statuses}", flush=True)
        if any(status != 200 for status in statuses.values()):
            raise UpgradeFailed(f"{label} did not serve every page: {statuses}")


def step(label: str, function, *args) -> None:
    started = time.monotonic()
    function(*args)
    print(f"ok   {label} ({time.monotonic() - started:.1f} s)", flush=True)


def main(argv: list[str]) -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("check_upgrade: set DATABASE_URL to a PostgreSQL server (a scratch database is made beside it)")
        return 2
    ref = argv[0] if argv else "HEAD~1"
    if subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=PROJECT).returncode:
        print(f"upgrade check skipped: {ref} is not in this clone's history")
        return 0
    with tempfile.TemporaryDirectory(prefix="newsblog-upgrade-") as folder:
        work = Path(folder)
        commit = extract(ref, work / "previous")
        print(f"previous release: {commit} ({ref}); this checkout: {git('rev-parse', '--short', 'HEAD').strip()}")
        scratch = scratch_database(database_url)
        keep = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "REDIS_URL"))}
        env = {**keep, "DATABASE_URL": scratch, "FEEDS_ALLOW_PRIVATE_ADDRESSES": "false"}
        try:
            check(work / "previous", PROJECT, env, work)
        except UpgradeFailed as error:
            print(f"FAIL {error}")
            return 1
        finally:
            drop_database(scratch)
    print("upgrade check: the previous release works on the migrated schema")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
