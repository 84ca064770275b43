"""bench/load.py's verdict: it reports "ok" only on figures it actually read from wrk."""

from bench.load import report

WRK_OUTPUT = """Running 60s test @ http://127.0.0.1:41234
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    13.30ms   20.11ms 400.21ms   97.10%
    Req/Sec     1.21k   150.32     1.60k    70.00%
  Latency Distribution
     50%   11.80ms
     75%   14.02ms
     90%   17.70ms
     99%  123.90ms
  144747 requests in 1.00m, 1.20GB read
Requests/sec:   2410.17
Transfer/sec:     20.45MB
"""
MEMORY = [("gunicorn worker 1", 76_000, 78_000)]


def test_figures_read_from_wrk_with_no_errors_are_ok(capsys):
    assert report(WRK_OUTPUT, MEMORY) == 0
    printed = capsys.readouterr().out
    assert "requests/s 2410.17  p50 11.80ms  p99 123.90ms  non-2xx/3xx 0  socket errors 0" in printed
    assert "RESULT: ok" in printed


def test_errors_wrk_reports_fail_the_run(capsys):
    output = WRK_OUTPUT + "  Socket errors: connect 0, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 7\n"
    assert report(output, MEMORY) == 1
    assert "non-2xx/3xx 7  socket errors 5" in capsys.readouterr().out


def test_a_run_wrk_could_not_make_fails_instead_of_reporting_ok(capsys):
    output = "wrk exited with status 1\nunable to connect to 127.0.0.1:41234 Connection refused\n"
    assert report(output, MEMORY) == 1
    printed = capsys.readouterr().out
    assert "RESULT: FAILED, not measured: wrk made no requests: wrk exited with status 1" in printed
    assert "RESULT: ok" not in printed


def test_output_without_its_latency_figures_fails(capsys):
    output = WRK_OUTPUT.replace("     99%  123.90ms\n", "").replace("     50%   11.80ms\n", "")
    assert report(output, MEMORY) == 1
    assert "wrk's output has no p50, p99" in capsys.readouterr().out


def test_a_run_without_memory_samples_fails(capsys):
    assert report(WRK_OUTPUT, []) == 1
    assert "no memory samples" in capsys.readouterr().out
