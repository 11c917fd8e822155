"""The bench command runs end to end over a small archive (its figures come from running it by hand)."""

import math
import re
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest

from inspections.perf.benchmark import Case, Timings, percentile, query_mix
from inspections.perf.over_http import datasette_available, datasette_filters, request_pairs

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


def seeded(media_root) -> dict[str, str]:
    """The environment of a child process whose archive holds the seed reports, ingested."""
    env = {**subprocess_env(), "MEDIA_ROOT": str(media_root)}
    ingest = python("manage.py", "ingest", str(SEEDS), "--no-progress", env=env, timeout=120)
    assert "Ingested 5" in ingest.stdout, ingest.stdout + ingest.stderr
    return env


@pytest.mark.django_db(transaction=True)
def test_bench_times_every_request_of_the_mix_and_reports_the_targets(authorities, media_root):
    env = seeded(media_root)
    result = python(
        "manage.py", "bench", "--runs", "2", "--cold-runs", "1", "--no-sqlite", "--no-datasette", env=env,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout
    for case in query_mix():
        # every request has a row with its warm p50, as a number
        row = next(line for line in table.splitlines() if line.startswith(case.name))
        assert re.search(r"\d+\.\d|\d{3,}", row[len(case.name) :]), row
    assert "Archive: 275 findings" in table
    assert "Targets at this size (under 500,000 findings): every request warm p95 ≤ 20 ms" in table
    assert "faster than Datasette over HTTP at p50 and p95" in table
    assert re.search(r"CSV export: [\d,]+ rows at [\d,]+ rows/s, memory growth \d+ MB", table)
    assert re.search(r"Serving process peak RSS: \d+ MB", table)
    assert re.search(r"speed check \(a fixed Python loop\) \d+ ms before and \d+ ms after", table)
    assert "SQLite FTS5 skipped (--no-sqlite)." in table
    assert "Datasette over HTTP skipped (--no-datasette)" in table
    assert "Targets: all met." in table or "Targets missed:" in table


def test_our_filters_become_datasettes_on_the_exported_columns():
    params = {
        "authority": ["leeds"],
        "region": ["london", "north_west"],
        "kind": ["improvement"],
        "theme": ["multi-agency"],
        "date_from": "2015-01-01",
        "date_to": "2017-12-31",
    }
    args = dict(datasette_filters(params))
    assert args["authority_slug__exact"] == "leeds"
    assert args["region__in"] == '["london", "north_west"]'
    assert "area_for_improvement" in args["kind__in"]  # "improvement" stands for several kinds
    assert args["themes__arraycontains"] == "multi-agency"
    assert (args["inspection_date__gte"], args["inspection_date__lte"]) == ("2015-01-01", "2017-12-31")


def test_the_api_can_be_asked_for_a_searchs_findings_unranked_beside_datasette(tmp_path):
    """`bench --api-sort newest`: our API asked for a text search newest first (unranked, as Datasette
    lists one); browsing keeps its own order, and Datasette is asked the same either way."""
    sqlite_path = tmp_path / "archive.sqlite"
    sqlite3.connect(sqlite_path).close()  # first pages only: the export is never read
    cases = [
        Case("a word + kind", {"q": "neglect", "kind": ["strength"]}, "neglect", "neglect"),
        Case("no query, kind", {"kind": ["strength"]}),
    ]
    ranked, unranked = request_pairs(cases, sqlite_path), request_pairs(cases, sqlite_path, "newest")

    def query(pairs, case, side):
        pair = next(pair for pair in pairs if pair["case"] == case and pair["kind"] == "API")
        return parse_qs(urlsplit(pair["paths"][side]).query)

    assert "sort" not in query(ranked, "a word + kind", "ours")  # the API's default: most relevant
    assert query(unranked, "a word + kind", "ours") == {
        "q": ["neglect"], "kind": ["strength"], "sort": ["newest"], "page_size": ["20"],
    }  # fmt: skip
    assert "sort" not in query(unranked, "no query, kind", "ours")
    for case in ("a word + kind", "no query, kind"):
        assert query(unranked, case, "Datasette") == query(ranked, case, "Datasette")
    assert [pair["paths"] for pair in unranked if pair["kind"] == "page"] == [
        pair["paths"] for pair in ranked if pair["kind"] == "page"
    ]


@pytest.mark.skipif(
    not datasette_available(), reason="the bench extra is not installed (pip install -e '.[bench]')"
)
@pytest.mark.django_db(transaction=True)
def test_bench_times_each_search_over_http_beside_datasette(authorities, media_root):
    env = seeded(media_root)
    result = python(
        "manage.py", "bench", "--runs", "1", "--cold-runs", "0", "--http-runs", "2", "--no-sqlite", env=env,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout
    http = table[table.index("request over HTTP") :]
    searches = [case for case in query_mix() if case.kind == "search"]
    number = r"(\d[\d,]*(?:\.\d+)?)"
    for case in searches:
        row = next(line for line in http.splitlines() if line.startswith(case.name + "  "))
        cells = re.findall(r"\S+", row[len(case.name) :])
        # hits twice, then the page (ours, Datasette's, ratios, five facets, cached) and the API
        assert len(cells) == 18, row
        for cell in cells:
            assert re.fullmatch(number + r"\*?", cell), row
        timings = [float(cell.replace(",", "")) for cell in cells[2:]]
        assert all(value > 0 for value in timings), row  # measured, every one of them
        page, theirs = timings[0], timings[2]
        assert float(cells[6]) == pytest.approx(page / theirs, rel=0.1)  # ×p50 is ours / Datasette's
    # browsing means the same to both: the same findings, every one of the archive's at first
    assert re.search(r"^no query, no filters +275 +275 ", http, re.MULTILINE), http
    assert re.search(r"^no query, authority +(\d+) +\1 ", http, re.MULTILINE), http
    assert "Over HTTP beside Datasette" in table
    assert re.search(r"gunicorn worker peak RSS \d+ MB \(target ≤ 250 MB\); Datasette RSS \d+ MB", table)
    assert re.search(r"speed check \d+ ms before and \d+ ms after the HTTP rounds", table)
    assert "Targets: all met." in table or "Targets missed:" in table


@pytest.mark.skipif(
    not datasette_available(), reason="the bench extra is not installed (pip install -e '.[bench]')"
)
def test_a_deep_page_on_datasette_starts_where_ours_does(tmp_path):
    import sqlite3

    from inspections.perf.over_http import next_key

    path = tmp_path / "findings.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE findings (id INTEGER PRIMARY KEY, inspection_date TEXT, kind TEXT, themes TEXT)")
    db.executemany(
        "INSERT INTO findings VALUES (?, ?, ?, ?)",
        [(pk, f"2020-01-{1 + pk % 28:02}", "strength", "[]") for pk in range(1, 101)],
    )
    # browsing, newest first: page 2 starts after the 20th row by (date descending, id)
    (date, pk) = db.execute(
        "SELECT inspection_date, id FROM findings ORDER BY 1 DESC, 2 LIMIT 1 OFFSET 19"
    ).fetchone()
    assert next_key(db, None, [], 2) == f"{date},{pk}"
    assert next_key(db, None, [("kind__exact", "strength")], 1) == ""
    # a page past the end is the last page (rows 81-100), as ours is
    (date, pk) = db.execute(
        "SELECT inspection_date, id FROM findings ORDER BY 1 DESC, 2 LIMIT 1 OFFSET 79"
    ).fetchone()
    assert next_key(db, None, [], 200) == f"{date},{pk}"
    assert next_key(db, None, [("kind__exact", "weakness")], 200) == ""
