"""bench/ingest.py fails when it cannot measure, and says where the figures it did not measure come from."""

import socket

import pytest

from bench import ingest
from bench.measure import NotMeasured
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_poll_that_fails_stops_the_benchmark_instead_of_timing_the_failure():
    source = SourceFactory(feed_url=f"http://127.0.0.1:{closed_port()}/feed.xml")
    with pytest.raises(NotMeasured, match="polling http://127.0.0.1:.* failed"):
        ingest.poll_all([source])


def test_the_reference_figures_are_printed_as_quoted_from_issue_3_not_as_measured(capsys):
    feeds = ingest.build_feeds(2, 2, "light")
    ingest.calibration([feeds["/feed/0.xml"], feeds["/feed/1.xml"]])
    reference = capsys.readouterr().out.splitlines()[-1]
    assert reference.strip().startswith("not measured in this run, quoted from issue 3")
    assert "147, 88 and 32 ms" in reference
