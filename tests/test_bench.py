"""The bench command runs end to end over a small archive (its figures come from running it by hand)."""

import math
import re

import pytest

from inspections.perf.benchmark import Timings, percentile, query_mix

from .conftest import SEEDS, python, subprocess_env


def test_percentiles_interpolate_between_the_two_nearest_values():
    values = [50.0, 15.0, 40.0, 20.0, 35.0]  # in no order
    assert percentile(values, 50) == 35.0  # the median
    assert percentile(values, 95) == pytest.approx(48.0)  # 95% of the way from 15 to 50: 3.8 values in
    assert percentile(values, 99) == pytest.approx(49.6)
    assert percentile(list(range(1, 11)), 95) == pytest.approx(9.55)
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    timings = Timings([50.0, 15.0, 40.0, 20.0, 35.0])
    assert (timings.p50, timings.p95, timings.max) == (35.0, pytest.approx(48.0), 50.0)


@pytest.mark.django_db(transaction=True)
def test_bench_times_every_request_of_the_mix_and_reports_the_targets(authorities, media_root):
    env = {**subprocess_env(), "MEDIA_ROOT": str(media_root)}
    ingest = python("manage.py", "ingest", str(SEEDS), "--no-progress", env=env, timeout=120)
    assert "Ingested 5" in ingest.stdout, ingest.stdout + ingest.stderr
    result = python(
        "manage.py", "bench", "--runs", "2", "--cold-runs", "1", "--no-sqlite", env=env, timeout=600
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout
    for case in query_mix():
        # every request has a row with its warm p50, as a number
        row = next(line for line in table.splitlines() if line.startswith(case.name))
        assert re.search(r"\d+\.\d|\d{3,}", row[len(case.name) :]), row
    assert "Archive: 275 findings" in table
    assert "Targets at this size (under 500,000 findings): every request warm p95 ≤ 20 ms" in table
    assert re.search(r"CSV export: [\d,]+ rows at [\d,]+ rows/s, memory growth \d+ MB", table)
    assert re.search(r"Serving process peak RSS: \d+ MB", table)
    assert re.search(r"speed check \(a fixed Python loop\) \d+ ms before and \d+ ms after", table)
    assert "SQLite FTS5 skipped (--no-sqlite)." in table
    assert "Targets: all met." in table or "Targets missed:" in table
