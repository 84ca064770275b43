"""The whole system, for real, on private servers: PostgreSQL and Redis on their own ports and data
folders (so stopping them disturbs nobody), gunicorn, Celery worker and beat, and a local feed server.
Used by bench/faults.py and bench/load.py."""

import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
PG_BIN = (
    Path(os.environ.get("PG_BIN", ""))
    if os.environ.get("PG_BIN")
    else next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), Path("/usr/bin"))
)
SECRET = "system-bench-secret-key-that-is-long-enough-for-check-deploy-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, seconds: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {seconds:.0f} s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def as_postgres(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root; run its tools as the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on its own port, in a temporary folder."""

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="newsblog-pg-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(
            as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"),
            check=True,
            capture_output=True,
        )
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/newsblog"

    @property
    def pid(self) -> int:
        """The postmaster's process id (its backends are its children)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w"]
        subprocess.run(as_postgres(*command, "-o", options, *extra, action), check=True, capture_output=True)

    def start(self) -> None:
        self._ctl("start")
        subprocess.run(
            as_postgres(
                str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "newsblog"
            ),
            capture_output=True,
        )

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    """A Redis server on its own port, persisted as docs/deploy.md asks (append-only file, fsync every second)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = Path(tempfile.mkdtemp(prefix="newsblog-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            [*command, "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"], stdout=subprocess.DEVNULL
        )
        wait_until(lambda: port_open(self.port), 10, "Redis to answer")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Process:
    """A project process (gunicorn, celery) with its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_folder: Path):
        self.name = name
        self.log = log_folder / f"{name}.log"
        self.popen = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def children(self) -> list[int]:
        return child_pids(self.pid)

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def rss_kib(pid: int) -> int:
    """Resident memory of one process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) one process and its children that have ended have used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command's name: utime, stime, cutime, cstime are fields 14-17 of proc(5), here 11-14.
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The processes this one started that are still running."""
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(child) for child in result.stdout.split()]


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    return [pid, *(descendant for child in child_pids(pid) for descendant in process_tree(child))]


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live descendants (and of those that ended), in seconds."""
    total = 0.0
    for member in process_tree(pid):
        with suppress(FileNotFoundError, ProcessLookupError):
            total += cpu_seconds(member)
    return total


class FeedServer:
    """Serves feed bodies from memory on 127.0.0.1; a path can be made slow, and hits are counted."""

    def __init__(self, feeds: dict[str, bytes], delay_seconds: float = 0.0):
        self.feeds = feeds
        self.delay_seconds = delay_seconds
        self.hits: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path = self.path.lstrip("/")
                server.hits[path] = server.hits.get(path, 0) + 1
                body = server.feeds.get(path)
                if body is None:
                    self.send_error(404)
                    return
                time.sleep(server.delay_seconds)
                self.send_response(200)
                kind = "application/feed+json" if path.endswith(".json") else "application/xml; charset=utf-8"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


class System:
    """Private PostgreSQL + Redis, and the project's processes configured to use them."""

    def __init__(self, log_folder: Path | None = None, settings: dict[str, str] | None = None):
        self.log_folder = log_folder or Path(tempfile.mkdtemp(prefix="newsblog-system-"))
        self.settings = settings or {}  # environment variables every process gets, after the defaults
        self.postgres = PrivatePostgres()
        self.redis = PrivateRedis()
        self.processes: list[Process] = []
        self.web_port = free_port()

    def __enter__(self):
        self.postgres.start()
        self.redis.start()
        self.manage("migrate", "--no-input")
        return self

    def __exit__(self, *exc):
        for process in reversed(self.processes):
            process.stop()
        self.redis.destroy()
        self.postgres.destroy()

    @property
    def env(self) -> dict[str, str]:
        keep = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL", "REDIS_URL"))
        }
        return {
            **keep,
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": SECRET,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            # Readers are told apart by the X-Forwarded-For a proxy would set (views are capped per address).
            "DJANGO_BEHIND_PROXY": "true",
            "FEEDS_ALLOWED_NETWORKS": "127.0.0.0/8,::1",  # the benchmark's feeds are served on loopback
            "PYTHONUNBUFFERED": "1",
            **self.settings,
        }

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def shell(self, code: str, timeout: float = 300) -> str:
        return self.manage("shell", "--verbosity", "0", "-c", code, timeout=timeout)

    def start(self, name: str, command: list[str]) -> Process:
        process = Process(name, command, self.env, self.log_folder)
        self.processes.append(process)
        return process

    def start_web(self, workers: int = 2) -> Process:
        self.manage("collectstatic", "--no-input", "--verbosity", "0")
        bind = f"127.0.0.1:{self.web_port}"
        # As docs/deploy.md and the Dockerfile run it: the project's config (metrics shared by the workers, log
        # format), the timeout and an access line per request.
        command = [sys.executable, "-m", "gunicorn", "newsblog.wsgi", "--config", "gunicorn.conf.py", "-b", bind]
        web = self.start("web", [*command, "-w", str(workers), "--timeout", "30", "--access-logfile", "-"])
        wait_until(lambda: port_open(self.web_port), 30, "gunicorn to listen")
        return web

    def start_worker(self, name: str = "worker", concurrency: int = 2) -> Process:
        command = [sys.executable, "-m", "celery", "-A", "newsblog", "worker", "-l", "info", "-c", str(concurrency)]
        return self.start(name, [*command, "-n", f"{name}@%h"])

    def start_beat(self) -> Process:
        schedule = self.log_folder / "celerybeat-schedule"
        return self.start(
            "beat", [sys.executable, "-m", "celery", "-A", "newsblog", "beat", "-l", "info", "-s", str(schedule)]
        )

    def get(self, path: str, timeout: float = 10) -> int:
        """The HTTP status of one GET on the web server (0 when the connection failed)."""
        return self.get_as(path, "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", timeout)

    def get_as(self, path: str, user_agent: str, timeout: float = 10, address: str = "") -> int:
        """The HTTP status of one GET with this User-Agent, from this client address when given (as our proxy
        would say it in X-Forwarded-For); 0 when the connection failed."""
        headers = {"User-Agent": user_agent, **({"X-Forwarded-For": address} if address else {})}
        request = urllib.request.Request(f"http://127.0.0.1:{self.web_port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def redis_keys(self) -> int:
        """How many keys the private Redis holds, across its databases."""
        result = subprocess.run(
            ["redis-cli", "-p", str(self.redis.port), "info", "keyspace"], capture_output=True, text=True
        )
        total = 0
        for line in result.stdout.splitlines():
            if line.startswith("db"):  # db0:keys=12,expires=3,avg_ttl=0
                total += int(line.split(":")[1].split(",")[0].removeprefix("keys="))
        return total
