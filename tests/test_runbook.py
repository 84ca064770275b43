"""The runbook check (scripts/runbook.py) catches each way docs/deploy.md went wrong before."""

import importlib.util
import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("runbook", PROJECT / "scripts" / "runbook.py")
runbook = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runbook)
DOC = (PROJECT / "docs" / "deploy.md").read_text()
BLOCKS = {(block.kind, block.name): block for block in runbook.blocks(DOC)}


def broken(kind: str, old: str, new: str, name: str | None = None) -> "runbook.Block":
    """The documented block with one fix undone."""
    block = BLOCKS[(kind, name)]
    assert old in block.text, old
    return runbook.Block(kind, name, block.text.replace(old, new))


def test_every_marked_block_is_found_and_an_unmarked_config_block_fails():
    assert set(BLOCKS) == runbook.EXPECTED
    with pytest.raises(runbook.CheckFailed, match="not marked"):
        runbook.blocks(DOC.replace("<!-- runbook: redis -->\n", ""))


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
def test_a_comment_after_a_redis_setting_fails(tmp_path):
    block = broken(
        "redis", "# Counters and queued polls survive a Redis restart.\nappendonly yes", "appendonly yes  # ok"
    )
    with pytest.raises(runbook.CheckFailed, match="did not start"):
        runbook.check_redis(block, tmp_path)


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (scripts/check-runbook installs it)")
def test_http2_on_fails_on_debians_nginx(tmp_path):
    block = broken("nginx", "    listen 443 ssl http2;\n", "    listen 443 ssl;\n    http2 on;\n")
    with pytest.raises(runbook.CheckFailed, match="http2"):
        runbook.check_nginx(block, tmp_path)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_a_misspelt_unit_setting_fails(tmp_path):
    block = broken("systemd", "Restart=always", "Restart=always  # comment", name="newsblog-web.service")
    with pytest.raises(runbook.CheckFailed, match="verify"):
        runbook.check_systemd(block, tmp_path)


def test_a_helper_that_changes_directory_writes_into_the_checkout_and_fails(tmp_path):
    block = broken(
        "newsblog-manage",
        "exec /srv/newsblog/venv/bin/python /srv/newsblog/app/manage.py",
        "cd /srv/newsblog/app && exec /srv/newsblog/venv/bin/python manage.py",
    )
    written = PROJECT / "subscriptions.opml"
    try:
        with pytest.raises(runbook.CheckFailed, match="caller's directory"):
            runbook.check_newsblog_manage(block, tmp_path)
    finally:
        written.unlink(missing_ok=True)


def test_backups_without_the_settings_file_or_with_a_bare_percent_fail(tmp_path):
    block = broken("backup-cron", "$(date +\\%F)", "$(date +%F)")
    with pytest.raises(runbook.CheckFailed, match="unescaped %"):
        runbook.check_backup_cron(block, tmp_path)
    lines = BLOCKS[("backup-cron", None)].text.splitlines()
    without_env = runbook.Block(
        "backup-cron", None, "\n".join(line for line in lines if "/etc/newsblog/env" not in line)
    )
    with pytest.raises(runbook.CheckFailed, match="secret key"):
        runbook.check_backup_cron(without_env, tmp_path)


def test_a_restore_check_run_as_root_fails(tmp_path):
    block = broken("restore-check", "sudo -u newsblog pg_restore", "pg_restore")
    with pytest.raises(runbook.CheckFailed, match="no database role"):
        runbook.check_restore_check(block, tmp_path)


def test_timeouts_too_close_to_the_proxys_fail():
    units = {name: block for (kind, name), block in BLOCKS.items() if kind == "systemd"}
    nginx = broken("nginx", "proxy_read_timeout 30s;", "proxy_read_timeout 15s;")
    with pytest.raises(runbook.CheckFailed, match="too close"):
        runbook.check_timeouts(units, nginx)


def test_sudo_used_but_not_installed_fails():
    with pytest.raises(runbook.CheckFailed, match="sudo"):
        runbook.check_packages(DOC.replace("apt-get install -y sudo ", "apt-get install -y "))
    assert "sudo" in runbook.check_packages(DOC)
