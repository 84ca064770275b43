"""The runbook check: every marked config block in docs/deploy.md, and docker-compose.yml, run through the real tools.

Blocks are marked in the Markdown with a comment on the line before their fence, e.g.
`<!-- runbook: systemd newsblog-web.service -->`; an unmarked block that looks like a config file fails the
check too, so a new block cannot slip past it. Usage: scripts/check-runbook [DOC] (one line per check).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT / "docs" / "deploy.md"
COMPOSE = PROJECT / "docker-compose.yml"
PYTHON = Path(sys.executable)
MARKED = re.compile(
    r"^<!-- runbook: (?P<kind>[\w-]+)(?: (?P<name>\S+))? -->\n```[^\n]*\n(?P<text>.*?)^```", re.M | re.S
)
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<text>.*?)^```", re.M | re.S)
# What deploy.md must keep marked; a block renamed or unmarked fails here instead of going unchecked.
EXPECTED = {
    ("redis", None),
    ("nginx", None),
    ("systemd", "newsblog-web.service"),
    ("systemd", "newsblog-worker.service"),
    ("systemd", "newsblog-beat.service"),
    ("newsblog-manage", None),
    ("backup-cron", None),
    ("restore-check", None),
}
LOOKS_LIKE_CONFIG = re.compile(
    r"^\[(Unit|Service)\]|^\s*server\s*\{|^\s*upstream\s|^(bind|appendonly|maxmemory)\s", re.M
)
# The production paths of the doc, and where this checkout puts the same things.
PATHS = {"/srv/newsblog/venv": str(PYTHON.parent.parent), "/srv/newsblog/app": str(PROJECT)}


class CheckFailed(Exception):
    """A block that does not work as written; the message says what the tool said."""


@dataclass
class Block:
    kind: str
    name: str | None
    text: str


def blocks(markdown: str) -> list[Block]:
    """The marked blocks of the document; CheckFailed when a config-looking block is unmarked."""
    found = [Block(m["kind"], m["name"], m["text"]) for m in MARKED.finditer(markdown)]
    marked_texts = {block.text for block in found}
    for fence in FENCE.finditer(markdown):
        if fence["text"] not in marked_texts and LOOKS_LIKE_CONFIG.search(fence["text"]):
            first = fence["text"].splitlines()[0]
            raise CheckFailed(f"a config block is not marked with <!-- runbook: ... -->: {first!r}")
    missing = EXPECTED - {(block.kind, block.name) for block in found}
    if missing:
        raise CheckFailed(f"deploy.md lacks the marked blocks {sorted(missing, key=str)}")
    return found


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_redis(block: Block, work: Path) -> str:
    """redis-server starts with the block as its config file, and the settings took."""
    if not shutil.which("redis-server"):
        return "skipped: redis-server is not installed (apt-get install redis-server)"
    config = work / "redis.conf"
    config.write_text(block.text)
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", str(config), "--port", str(port), "--dir", str(work), "--daemonize", "no"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answer = _wait_for_redis(server, port)
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    if answer is None:
        raise CheckFailed(f"redis-server did not start with the Redis block:\n{output[-2000:]}")
    return f"redis-server {port} started; {answer}"


def _wait_for_redis(server: subprocess.Popen, port: int) -> str | None:
    deadline = time.monotonic() + 10
    while server.poll() is None and time.monotonic() < deadline:
        result = run(["redis-cli", "-p", str(port), "config", "get", "appendonly"])
        if result.returncode == 0 and "yes" in result.stdout:
            policy = run(["redis-cli", "-p", str(port), "config", "get", "maxmemory-policy"]).stdout.split()
            return f"appendonly yes, maxmemory-policy {policy[-1]}"
        time.sleep(0.1)
    return None


def check_nginx(block: Block, work: Path) -> str:
    """nginx -t accepts the block inside an http {} context, with a throw-away certificate for its paths."""
    nginx = _nginx()
    if nginx is None:
        return "skipped: nginx is not installed and this is not root (apt-get install nginx)"
    cert, key = work / "cert.pem", work / "key.pem"
    subject = ["-subj", "/CN=news.example.com", "-keyout", str(key), "-out", str(cert)]
    made = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", *subject])
    if made.returncode != 0:
        raise CheckFailed(f"openssl could not make a test certificate: {made.stderr}")
    text = re.sub(r"/etc/letsencrypt/live/[^/]+/fullchain\.pem", str(cert), block.text)
    text = re.sub(r"/etc/letsencrypt/live/[^/]+/privkey\.pem", str(key), text)
    (work / "logs").mkdir(exist_ok=True)
    config = work / "nginx.conf"
    config.write_text(f"pid {work}/nginx.pid;\nevents {{}}\nhttp {{\n{text}\n}}\n")
    result = run([nginx, "-t", "-p", str(work), "-c", str(config), "-e", "stderr"])
    if result.returncode != 0:
        raise CheckFailed(f"nginx -t refused the nginx block:\n{result.stderr}")
    version = run([nginx, "-v"]).stderr.strip()
    return f"nginx -t ok ({version})"


def _nginx() -> str | None:
    found = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if found or os.geteuid() != 0:
        return found or None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "nginx"]
    if run(install, env=env).returncode != 0:
        run(["apt-get", "update", "-q"], env=env)
        run(install, env=env)
    return shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx") or None


def check_systemd(block: Block, work: Path) -> str:
    """systemd-analyze verify accepts the unit, its programs pointed at this checkout's."""
    if not shutil.which("systemd-analyze"):
        return "skipped: systemd-analyze is not installed"
    unit = work / block.name
    unit.write_text(_local_paths(block.text))
    result = run(["systemd-analyze", "verify", str(unit)])
    # Verify says "ignoring" for a line it cannot read and still exits 0: any output is a finding.
    if result.returncode != 0 or result.stderr.strip():
        raise CheckFailed(f"systemd-analyze verify {block.name}:\n{result.stderr}")
    return f"systemd-analyze verify {block.name} ok"


def _local_paths(text: str) -> str:
    for production, local in PATHS.items():
        text = text.replace(production, local)
    return text


def check_newsblog_manage(block: Block, work: Path) -> str:
    """The helper as written runs manage.py from any directory, and relative file names stay the caller's."""
    script = re.search(r"<<'EOF'\n(?P<body>.*?)^EOF$", block.text, re.M | re.S)
    if script is None:
        raise CheckFailed("the newsblog-manage block has no <<'EOF' ... EOF script in it")
    env_file = work / "env"
    env_file.write_text(f"DATABASE_URL=sqlite:///{work / 'db.sqlite3'}\nDJANGO_DEBUG=true\n")
    helper = work / "newsblog-manage"
    helper.write_text(_local_paths(script["body"]).replace("/etc/newsblog/env", str(env_file)))
    caller = work / "caller"
    caller.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    for args in (["migrate", "--no-input", "-v", "0"], ["exportopml", "--output", "subscriptions.opml"]):
        result = run(["sh", str(helper), *args], cwd=caller, env=env)
        if result.returncode != 0:
            raise CheckFailed(f"newsblog-manage {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    if not (caller / "subscriptions.opml").exists():
        raise CheckFailed(
            "newsblog-manage exportopml --output subscriptions.opml did not write into the caller's directory"
        )
    result = run(["sh", str(helper), "importopml", "subscriptions.opml"], cwd=caller, env=env)
    if result.returncode != 0:
        raise CheckFailed(f"newsblog-manage importopml subscriptions.opml failed:\n{result.stderr[-2000:]}")
    return "newsblog-manage exportopml/importopml read and write the caller's directory"


def check_timeouts(units: dict[str, Block], nginx: Block) -> str:
    """The add-source check's cap is well under gunicorn's --timeout and nginx's proxy_read_timeout."""
    gunicorn = re.search(r"--timeout (\d+)", units["newsblog-web.service"].text)
    proxy = re.search(r"proxy_read_timeout (\d+)s;", nginx.text)
    if gunicorn is None or proxy is None:
        raise CheckFailed("the web unit must set gunicorn's --timeout and the nginx block proxy_read_timeout (in s)")
    code = "from django.conf import settings; print(settings.FEEDS_ADD_CHECK_SECONDS)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "newsblog.settings"}
    result = run([str(PYTHON), "-c", f"import django; django.setup(); {code}"], cwd=PROJECT, env=env)
    if result.returncode != 0:
        raise CheckFailed(f"could not read FEEDS_ADD_CHECK_SECONDS:\n{result.stderr[-2000:]}")
    cap, limit = int(result.stdout.split()[-1]), min(int(gunicorn[1]), int(proxy[1]))
    if cap * 2 > limit:
        raise CheckFailed(f"the add-source check may take {cap} s, too close to the {limit} s proxy timeouts")
    return f"add-source check {cap} s < gunicorn --timeout {gunicorn[1]} s, nginx proxy_read_timeout {proxy[1]} s"


def check_backup_cron(block: Block, _work: Path) -> str:
    """Each cron line has five times, a user and a command, with every % escaped (cron reads % as a newline)."""
    body = re.search(r"<<'EOF'\n(?P<body>.*?)^EOF$", block.text, re.M | re.S)
    if body is None:
        raise CheckFailed("the backup-cron block has no <<'EOF' ... EOF crontab in it")
    lines = [line for line in body["body"].splitlines() if line.strip() and not line.startswith("#")]
    for line in lines:
        fields = line.split(None, 6)
        if len(fields) < 7 or fields[5] not in {"root", "newsblog", "postgres"}:
            raise CheckFailed(f"not a /etc/cron.d line (minute hour day month weekday user command): {line!r}")
        if re.search(r"(?<!\\)%", fields[6]):
            raise CheckFailed(f"an unescaped % in a cron command: {line!r}")
    if not any("/etc/newsblog/env" in line for line in lines):
        raise CheckFailed("the backups leave out /etc/newsblog/env, which holds the secret key")
    return f"{len(lines)} cron lines well formed, the settings file included"


def check_restore_check(block: Block, _work: Path) -> str:
    """Every database command names the role it runs as: root has no database role to connect with."""
    for line in block.text.splitlines():
        command = line.split("#")[0].strip()
        if re.search(r"\b(createdb|dropdb|pg_restore|psql)\b", command) and not command.startswith("sudo -u "):
            raise CheckFailed(f"runs as root, which has no database role: {command!r}")
    return "restore check runs each command as its role"


def check_compose(doc: str) -> str:
    """docker compose config where Compose v2 exists, else the Compose Specification's JSON schema."""
    compose_v2 = shutil.which("docker") and run(["docker", "compose", "version"]).returncode == 0
    if compose_v2:
        env_file = PROJECT / "docs" / "compose.env.example"
        result = run(["docker", "compose", "--env-file", str(env_file), "-f", str(COMPOSE), "config", "--quiet"])
        if result.returncode != 0:
            raise CheckFailed(f"docker compose config refused docker-compose.yml:\n{result.stderr}")
        return "docker compose config ok"
    checker = PYTHON.parent / "check-jsonschema"
    result = run([str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)])
    if result.returncode != 0:
        raise CheckFailed(
            f"docker-compose.yml does not match the Compose Specification:\n{result.stdout}{result.stderr}"
        )
    if "docker compose exec -T postgres pg_dump" not in doc:
        raise CheckFailed("the Compose backup must use `docker compose exec -T` (a terminal mangles the binary dump)")
    return "docker-compose.yml valid against the Compose Specification schema (check-jsonschema vendor.compose-spec)"


# Programs the doc's commands call that a minimal Debian lacks, and the package that brings each.
PROGRAMS = {"sudo": "sudo", "git": "git", "nginx": "nginx", "certbot": "certbot", "pg_dump": "postgresql"}


def check_packages(doc: str) -> str:
    """Every program the commands use is in the doc's apt-get install line."""
    install = re.search(r"^apt-get install -y (?P<packages>.+)$", doc, re.M)
    if install is None:
        raise CheckFailed("deploy.md has no `apt-get install -y ...` line")
    packages = set(install["packages"].split())
    commands = "\n".join(fence["text"] for fence in FENCE.finditer(doc) if fence["info"].strip() in {"", "sh"})
    used = {program for program in PROGRAMS if re.search(rf"(^|[\s;&|(]){re.escape(program)}\s", commands, re.M)}
    missing = sorted(PROGRAMS[program] for program in used if PROGRAMS[program] not in packages)
    if missing:
        raise CheckFailed(f"commands use programs from packages the install line leaves out: {missing}")
    return f"the install line brings every program used ({', '.join(sorted(used))})"


CHECKS = {
    "redis": check_redis,
    "nginx": check_nginx,
    "systemd": check_systemd,
    "newsblog-manage": check_newsblog_manage,
    "backup-cron": check_backup_cron,
    "restore-check": check_restore_check,
}


def main(argv: list[str]) -> int:
    doc = Path(argv[0]) if argv else DEPLOY
    started = time.monotonic()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="newsblog-runbook-") as folder:
        work = Path(folder)
        try:
            text = doc.read_text()
            found = blocks(text)
        except CheckFailed as error:
            print(f"FAIL deploy.md: {error}")
            return 1
        results = []
        for index, block in enumerate(found):
            place = work / str(index)
            place.mkdir()
            label = f"{block.kind} {block.name or ''}".strip()
            results.append((label, lambda block=block, place=place: CHECKS[block.kind](block, place)))
        units = {block.name: block for block in found if block.kind == "systemd"}
        nginx = next(block for block in found if block.kind == "nginx")
        results.append(("timeouts", lambda: check_timeouts(units, nginx)))
        results.append(("compose", lambda: check_compose(text)))
        results.append(("packages", lambda: check_packages(text)))
        for label, check in results:
            try:
                print(f"ok   {label}: {check()}", flush=True)
            except CheckFailed as error:
                failures += 1
                print(f"FAIL {label}: {error}", flush=True)
    print(f"runbook check: {len(results) - failures} passed, {failures} failed in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
