"""The remembered process id (newsblog/metrics/__init__.py): each forked child still writes its own metric files."""

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
CHILD_WRITES = """
import os, sys
from newsblog import metrics
metrics.VIEWS_RECORDED.inc()
child = os.fork()
if child == 0:
    metrics.VIEWS_RECORDED.inc(2)
    os._exit(0)
os.waitpid(child, 0)
print(os.getpid(), child)
"""


def test_a_forked_child_writes_files_named_by_its_own_pid_and_a_scrape_adds_both(tmp_path):
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-c", CHILD_WRITES], cwd=PROJECT, env=env, capture_output=True, text=True, check=True
    )
    parent, child = run.stdout.split()
    assert {path.name for path in tmp_path.glob("counter_*.db")} == {f"counter_{parent}.db", f"counter_{child}.db"}
    total = subprocess.run(
        [
            sys.executable,
            "-c",
            "from newsblog.metrics import scrape_registry\n"
            "print(scrape_registry().get_sample_value('newsblog_views_recorded_total'))",
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(total.stdout) == 3
