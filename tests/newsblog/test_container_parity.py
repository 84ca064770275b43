"""The container image installs exactly what the production-shaped check installs and tests.

No container engine runs where CI runs, so the image is never built there: this reads both files instead.
"""

import re
import shlex
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
# pip options that change how, not what, is installed.
QUIET_OPTIONS = {"--quiet", "-q", "--disable-pip-version-check", "--no-cache-dir"}


def pip_installs(text: str) -> list[list[str]]:
    """What each `pip install` in a shell script or Dockerfile installs: its arguments without the quiet options."""
    joined = re.sub(r"\\\n\s*", " ", text)
    installs = []
    for line in joined.splitlines():
        words = shlex.split(line.split("#", 1)[0]) if "pip" in line else []
        if "install" in words and any(word.endswith("pip") or word == "pip" for word in words):
            arguments = words[words.index("install") + 1 :]
            installs.append([word for word in arguments if word not in QUIET_OPTIONS])
    return installs


def test_the_dockerfile_installs_exactly_what_the_production_check_installs():
    image = pip_installs((PROJECT / "Dockerfile").read_text())
    check = pip_installs((PROJECT / "scripts" / "check-production").read_text())
    assert check == [["-r", "requirements.txt"]]
    assert image == check


def test_the_image_runs_the_python_the_check_runs_on():
    base = re.search(r"^FROM python:(\d+\.\d+)", (PROJECT / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert base is not None and base.group(1) == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_an_extra_package_in_the_image_is_a_difference():
    dockerfile = "RUN pip install -r requirements.txt\nRUN pip install --no-cache-dir gevent==24.2.1\n"
    assert pip_installs(dockerfile) == [["-r", "requirements.txt"], ["gevent==24.2.1"]]
