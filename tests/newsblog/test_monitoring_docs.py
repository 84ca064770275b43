"""The monitoring kit in docs/: every query of the Grafana dashboard and the alert rules names an exported metric."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from articles import popularity
from tests.factories import SourceFactory

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Prometheus's own series about its scrapes, not ours.
PROMETHEUS_OWN = {"up"}
SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""], "info": ["_info"]}
NOT_METRICS = {"by", "without", "on", "ignoring", "group_left", "group_right", "or", "and", "unless", "bool", "offset"}


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression reads (not its functions, label names, strings or durations)."""
    text = re.sub(r'"[^"]*"', "", expression)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][\w:]*", text):
        followed_by_call = text[match.end() :].lstrip().startswith("(")
        if not followed_by_call and match.group() not in NOT_METRICS:
            names.add(match.group())
    return names


@pytest.fixture
def exported(client, db) -> set[str]:
    """Every sample name a scrape can hold: each family the code registers, with its type's suffixes.

    The poll and flush ages are left out until there was a poll and a flush (with Redis): so there are here.
    """
    SourceFactory(last_success_at=timezone.now())
    popularity.flush_views()
    client.get("/healthz/live")  # django-prometheus registers its request metrics with the first request
    scrape = client.get("/metrics").content.decode()
    names = set(PROMETHEUS_OWN)
    for family in text_string_to_metric_families(scrape):
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, [""])}
    return names


def dashboard_queries() -> list[str]:
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def alert_queries() -> list[str]:
    rules = yaml.safe_load((DOCS / "prometheus-alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_extractor_finds_metrics_and_skips_functions_labels_and_durations():
    expression = 'sum by (le) (rate(foo_bucket{job="x", status=~"5.."}[5m])) / bar > 2 * baz or absent(up{a="b"})'
    assert metric_names(expression) == {"foo_bucket", "bar", "baz", "up"}


@pytest.mark.redis
def test_every_dashboard_query_names_a_metric_the_code_exports(exported):
    queries = dashboard_queries()
    assert len(queries) >= 20
    unknown = {name for query in queries for name in metric_names(query)} - exported
    assert unknown == set()


@pytest.mark.redis
def test_every_alert_rule_names_a_metric_the_code_exports(exported):
    queries = alert_queries()
    assert len(queries) == 6
    unknown = {name for query in queries for name in metric_names(query)} - exported
    assert unknown == set()


def test_the_scrape_config_in_the_docs_has_the_jobs_the_rules_and_dashboard_select():
    block = re.search(r"```yaml\n(# prometheus.yml\n.*?)```", (DOCS / "monitoring.md").read_text(), re.S).group(1)
    jobs = {job["job_name"] for job in yaml.safe_load(block)["scrape_configs"]}
    assert jobs == {"newsblog-web", "newsblog-worker", "newsblog-beat"}
    selected = set(re.findall(r'job=~?"([\w-]+)"', " ".join(dashboard_queries() + alert_queries())))
    assert selected <= jobs
