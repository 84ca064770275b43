"""The fault scenarios of bench/faults.py as tests: each breaks the running system for real (private
PostgreSQL and Redis servers, gunicorn, Celery worker and beat) and compares the end state with a clean run."""

import shutil

import pytest

from bench import faults, system

# One worker runs them one after another: each starts its own servers and wants the CPU to itself.
pytestmark = [pytest.mark.faults, pytest.mark.xdist_group("faults")]


@pytest.fixture(autouse=True)
def _needs_server_binaries():
    if not shutil.which("redis-server") or not (system.PG_BIN / "initdb").exists():
        pytest.skip("the fault scenarios start their own redis-server and PostgreSQL cluster; install both")


@pytest.mark.parametrize("scenario", list(faults.SCENARIOS))
def test_fault_leaves_the_same_end_state_as_a_clean_run(scenario):
    outcome = faults.SCENARIOS[scenario]()
    assert outcome.ok, "; ".join(outcome.problems)
