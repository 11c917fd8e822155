"""`manage.py bench`, over HTTP: the site beside Datasette serving the same archive, request for request.

Both serve on loopback. The site runs under gunicorn as `loadtest` and production run it
(inspections/gunicorn_conf.py) but with one process of one thread, and `bench_wsgi` empties its
caches, whole pages included, after each response is sent, so the next request does all its work
(the emptying, the bench's own work, is not timed with a request unless one follows at once). Datasette
serves the archive exported to SQLite (`benchmark.export_sqlite`: an FTS5 index and the facet columns
indexed), immutable, with its time limits high enough that every count and facet finishes (past them
it would leave them out), 20 rows a page as ours, and no suggested facets (work our page does not do).
Each search of the bench's mix is asked of both as the same logical request:

- the page: our /findings/?… (the count, every facet's counts, 20 findings highlighted) against
  Datasette's table page with `_search` (FTS5 syntax, `_searchmode=raw`), the same filters as
  `column__exact`, `themes__arraycontains` and date comparisons, and `_facet`/`_facet_array` for the
  same six facets, every value listed (`_facet_size=max`: ours lists every option);
- the API: our /api/findings?…&page_size=20 against Datasette's findings.json with the same search
  and filters (the count and 20 rows; neither gives facets). `bench --api-sort newest` asks ours for a
  text search newest first (unranked, as Datasette lists it) rather than the most relevant first.

Where ours lists newest first (browsing), Datasette is asked to sort by date too; a text search on a
Datasette table page comes in row order (it does not rank, where ours ranks or sorts by date). A page
past the first is reached on Datasette with its `_next` key, read from the export, as following its
next links would.

Each request is timed to its last byte, by a client that keeps one connection to each server. A warm-up pass asks every request of both first, checking that both answer 200 and find about
as many findings; then the timed rounds go round the whole mix, ours and Datasette's alternately,
the first swapped each round, so the machine's drift hits both alike. Our cached figures (the same
request repeated, its counts and page from the cache) are taken apart afterwards.
"""

import http.client
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import psutil
from django.conf import settings

from ..filters import kinds_chosen
from .benchmark import Case, Timings, machine_speed_ms
from .loadtest import free_port, serve_command, wait_until_serving, workers_rss

PAGE_SIZE = 20
# Our facet filters and the exported column each counts by (`themes`, a JSON array, apart).
FACET_COLUMNS = [
    ("authority", "authority_slug"),
    ("region", "region"),
    ("inspection_kind", "inspection_kind"),
    ("kind", "kind"),
    ("grade", "grade"),
]
DATASETTE_SETTINGS = {
    "sql_time_limit_ms": 600_000,
    "facet_time_limit_ms": 600_000,
    "default_page_size": PAGE_SIZE,
    "suggest_facets": "off",
}
# Hit counts further apart than this are reported (FTS5's porter stemmer is not PostgreSQL's english).
HITS_TOLERANCE = 0.10
# Datasette's page also without the theme facet: its array facet dedupes whole rows (text and all)
# before counting, most of its page's time; shown beside, not judged.
FIVE_FACETS = "Datasette, five facets"
SERVER_OF = {"ours": "ours", "Datasette": "Datasette", FIVE_FACETS: "Datasette"}


class OverHttpError(Exception):
    """A server did not start, or a request was not answered with 200."""


def datasette_available() -> bool:
    return all(importlib.util.find_spec(name) for name in ("datasette", "sqlite_utils"))


# The same logical request on both ------------------------------------------------------------------


def datasette_filters(params: dict) -> list[tuple[str, str]]:
    """Our filters as Datasette's table filters on the export's columns."""
    args = []
    for name, column in FACET_COLUMNS:
        values = list(params.get(name) or [])
        if name == "kind":
            values = kinds_chosen(values)  # "improvement" stands for several kinds
        if len(values) == 1:
            args.append((f"{column}__exact", values[0]))
        elif values:
            args.append((f"{column}__in", json.dumps(values)))
    # Ours keeps findings with any of the themes ticked; the mix ticks one, which this matches.
    args += [("themes__arraycontains", theme) for theme in params.get("theme") or []]
    if params.get("date_from"):
        args.append(("inspection_date__gte", params["date_from"]))
    if params.get("date_to"):
        args.append(("inspection_date__lte", params["date_to"]))
    return args


FILTER_SQL = {
    "exact": "{column} = ?",
    "in": "{column} IN (SELECT value FROM json_each(?))",
    "arraycontains": "? IN (SELECT value FROM json_each({column}))",
    "gte": "{column} >= ?",
    "lte": "{column} <= ?",
}


def next_key(db: sqlite3.Connection, fts: str | None, filters: list[tuple[str, str]], page: int) -> str:
    """Datasette's `_next` key for the given page (the key of the last row before it), or "" for the
    first page. As our pages do, a page past the end is the last page."""
    from datasette.utils import tilde_encode

    clauses, args = [], []
    if fts:
        clauses.append("rowid IN (SELECT rowid FROM findings_fts WHERE findings_fts MATCH ?)")
        args.append(fts)
    for name, value in filters:
        column, operator = name.rsplit("__", 1)
        clauses.append(FILTER_SQL[operator].format(column=f'"{column}"'))
        args.append(value)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    (count,) = db.execute(f"SELECT count(*) FROM findings{where}", args).fetchone()
    offset = min((page - 1) * PAGE_SIZE, max(count - 1, 0) // PAGE_SIZE * PAGE_SIZE)
    if not offset:
        return ""
    order = "id" if fts else "inspection_date DESC, id"  # Datasette's order with a `_next` key
    date, pk = db.execute(
        f"SELECT inspection_date, id FROM findings{where} ORDER BY {order} LIMIT 1 OFFSET ?",
        [*args, offset - 1],
    ).fetchone()
    if fts:
        return str(pk)
    return f"{'$null' if date is None else tilde_encode(date)},{pk}"


def request_pairs(cases: list[Case], sqlite_path: Path, api_sort: str = "") -> list[dict]:
    """For each search of the mix, its page and its API request, ours and Datasette's. api_sort: the
    order our API is asked for a text search in (`newest`: unranked, as Datasette lists one); none,
    the API's default (the most relevant first)."""
    table = f"/{sqlite_path.stem}/findings"
    facets = [("_facet", column) for _, column in FACET_COLUMNS]
    facets += [("_facet_array", "themes"), ("_facet_size", "max")]
    pairs = []
    with sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True) as db:
        for case in cases:
            if case.kind != "search":
                continue
            page = int(case.params.get("page", 1))
            filters = datasette_filters(case.params)
            theirs = [("_search", case.fts), ("_searchmode", "raw")] if case.fts else []
            theirs += filters
            if not case.fts:
                theirs.append(("_sort_desc", "inspection_date"))
            key = next_key(db, case.fts, filters, page) if page > 1 else ""
            if key:
                theirs.append(("_next", key))
            sort = {"sort": api_sort} if api_sort and case.fts else {}
            api = urlencode({**case.params, **sort, "page_size": PAGE_SIZE}, doseq=True)
            five_facets = [facet for facet in facets if facet[0] != "_facet_array"]
            page_paths = {
                "ours": f"/findings/?{urlencode(case.params, doseq=True)}",
                "Datasette": f"{table}?{urlencode(theirs + facets)}",
                FIVE_FACETS: f"{table}?{urlencode(theirs + five_facets)}",
            }
            api_paths = {"ours": f"/api/findings?{api}", "Datasette": f"{table}.json?{urlencode(theirs)}"}
            pairs.append({"case": case.name, "kind": "page", "paths": page_paths})
            pairs.append({"case": case.name, "kind": "API", "paths": api_paths})
    return pairs


# Serving and timing --------------------------------------------------------------------------------


@contextmanager
def serving(sqlite_path: Path):
    """gunicorn (the site) and Datasette (the export) on loopback ports; both stopped afterwards."""
    ours_port, theirs_port = free_port(), free_port()
    env = {**os.environ, "DEBUG": "0", "ARCHIVE_NO_BOOTSTRAP": "1"}
    datasette_settings = [
        part for item in DATASETTE_SETTINGS.items() for part in ("--setting", *map(str, item))
    ]
    with tempfile.TemporaryFile("w+") as ours_log, tempfile.TemporaryFile("w+") as theirs_log:
        processes = []
        try:
            processes.append(
                subprocess.Popen(
                    serve_command(ours_port, "--workers", "1", "--threads", "1", "--timeout", "600",
                                  app="inspections.perf.bench_wsgi"),
                    cwd=settings.BASE_DIR, env=env, stdout=ours_log, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "datasette", "serve", "-i", str(sqlite_path), "--host", "127.0.0.1",
                     "--port", str(theirs_port), *datasette_settings],
                    cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=theirs_log,
                )
            )  # fmt: skip
            for port, name, log in (
                (ours_port, "gunicorn", ours_log),
                (theirs_port, "Datasette", theirs_log),
            ):
                try:
                    wait_until_serving(port, name)
                except Exception as error:
                    log.seek(0)
                    raise OverHttpError(f"{error}\n{log.read()[-3000:]}") from error
            yield {"ours": ours_port, "Datasette": theirs_port}, processes[0].pid, processes[1].pid
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def fetch(connection: http.client.HTTPConnection, path: str, keep_cache=False) -> tuple[float, bytes]:
    """Milliseconds to the response's last byte, and the body; OverHttpError unless it is a 200."""
    headers = {"X-Bench-Cache": "keep"} if keep_cache else {}
    started = time.perf_counter()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        connection.close()  # a connection the server had closed: once more on a new one
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise OverHttpError(f"{path} answered {response.status}: {body[:300]!r}")
    return elapsed, body


def hits_in(side: str, body: bytes) -> int | None:
    data = json.loads(body)
    return data.get("count") if side == "ours" else data.get("filtered_table_rows_count")


def compare_over_http(sqlite_path: Path, cases: list[Case], runs: int, log, api_sort: str = "") -> dict:
    """Time each search's page and API request on both servers; see the module's docstring."""
    pairs = request_pairs(cases, sqlite_path, api_sort)
    speed_before = machine_speed_ms()
    with serving(sqlite_path) as (ports, gunicorn_pid, datasette_pid):
        connections = {
            server: http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            for server, port in ports.items()
        }
        log(
            f"Over HTTP: {len(pairs)} requests on each of gunicorn (127.0.0.1:{ports['ours']}) and "
            f"Datasette (127.0.0.1:{ports['Datasette']}), a warm-up pass and {runs} rounds…"
        )
        results = {}
        for pair in pairs:  # the warm-up pass, which also reads the hit counts
            result = results.setdefault(pair["case"], {"hits": {}})
            result[pair["kind"]] = {side: [] for side in pair["paths"]} | {"cached": []}
            for side, path in pair["paths"].items():
                _, body = fetch(connections[SERVER_OF[side]], path)
                if pair["kind"] == "API":
                    result["hits"][side] = hits_in(side, body)
        worker_rss = []
        for number in range(runs):
            for index, pair in enumerate(pairs):
                sides = list(pair["paths"])
                if (number + index) % 2:
                    sides.reverse()  # who goes first swaps from one request, and one round, to the next
                for side in sides:
                    elapsed, _ = fetch(connections[SERVER_OF[side]], pair["paths"][side])
                    results[pair["case"]][pair["kind"]][side].append(elapsed)
            worker_rss.append(max(workers_rss(gunicorn_pid), default=0))
        for pair in pairs:  # ours from the cache: once to fill it, then timed
            fetch(connections["ours"], pair["paths"]["ours"], keep_cache=True)
            for _ in range(runs):
                elapsed, _ = fetch(connections["ours"], pair["paths"]["ours"], keep_cache=True)
                results[pair["case"]][pair["kind"]]["cached"].append(elapsed)
        try:
            datasette_rss = psutil.Process(datasette_pid).memory_info().rss
        except psutil.Error:
            datasette_rss = 0
        for connection in connections.values():
            connection.close()
    return {
        "results": results,
        "runs": runs,
        "worker_rss": max(worker_rss, default=0),
        "datasette_rss": datasette_rss,
        "speed": (speed_before, machine_speed_ms()),
        "api_sort": api_sort,
        "datasette_version": _datasette_version(),
    }


def _datasette_version() -> str:
    from datasette.version import __version__

    return __version__


# The report ----------------------------------------------------------------------------------------


def hits_differ(hits: dict) -> bool:
    ours, theirs = hits.get("ours"), hits.get("Datasette")
    if ours is None or theirs is None:
        return True
    return abs(ours - theirs) > HITS_TOLERANCE * max(ours, theirs)


def report(compared: dict, ms) -> tuple[list[str], list[str]]:
    """The table beside Datasette, its notes, and the targets it misses (ours slower at p50 or p95)."""
    header = [
        "request over HTTP", "hits", "Datasette", "page p50", "p95", "Datasette p50", "p95", "×p50", "×p95",
        "5 facets p50", "×p50", "cached p50", "API p50", "p95", "Datasette p50", "p95", "×p50", "×p95",
        "cached p50",
    ]  # fmt: skip
    rows, misses, warnings = [], [], []
    for name, result in compared["results"].items():
        hits = result["hits"]
        row = [name, f"{hits.get('ours', 0):,}", f"{hits.get('Datasette', 0):,}"]
        if hits_differ(hits):
            row[2] += "*"
            warnings.append(f"{name}: ours {hits.get('ours')}, Datasette {hits.get('Datasette')}")
        for kind in ("page", "API"):
            ours, theirs = Timings(result[kind]["ours"]), Timings(result[kind]["Datasette"])
            ratios = ours.p50 / theirs.p50, ours.p95 / theirs.p95
            row += [ms(ours.p50), ms(ours.p95), ms(theirs.p50), ms(theirs.p95)]
            row += [f"{ratio:.2f}" for ratio in ratios]
            if FIVE_FACETS in result[kind]:
                five = Timings(result[kind][FIVE_FACETS])
                row += [ms(five.p50), f"{ours.p50 / five.p50:.2f}"]
            row.append(ms(Timings(result[kind]["cached"]).p50))
            if ratios[0] >= 1 or ratios[1] >= 1:
                misses.append(
                    f"{name} ({kind} over HTTP): not faster than Datasette "
                    f"(p50 {ours.p50:.1f} vs {theirs.p50:.1f} ms, p95 {ours.p95:.1f} vs {theirs.p95:.1f} ms)"
                )
        rows.append(row)
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "  ".join(
            str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)
        )

    speed_before, speed_after = compared["speed"]
    api_sort = compared.get("api_sort", "")
    out = [line(header), line(["-" * width for width in widths]), *map(line, rows), ""]
    out.append(
        f"Over HTTP beside Datasette {compared['datasette_version']} (both on loopback, "
        f"{compared['runs']} runs each, ours and Datasette's alternately after a warm-up pass): times in "
        "ms to the last byte. page: our /findings/ (count, every facet, 20 findings highlighted) vs "
        "Datasette's table page with _search and _facet/_facet_array for the same six facets, every value "
        "listed (5 facets: Datasette's page without the theme facet, whose array facet dedupes whole rows "
        "before counting; shown, not judged); API: our /api/findings (page_size=20"
        + (f", sort={api_sort} for a text search" if api_sort else "")
        + ") vs Datasette's findings.json, same search and filters. "
        "× = ours / Datasette's (below 1: ours is faster). Ours: gunicorn, one worker of one thread, its "
        "caches emptied after each response is sent; cached p50: the same request repeated, served from our cache "
        "(shown apart, not judged). hits: our API's count and Datasette's (* more than "
        f"{HITS_TOLERANCE:.0%} apart). Datasette does not rank a search (row order); our page does, "
        + ("and our API" if api_sort in ("", "relevance") else f"our API here lists it {api_sort} first")
        + "."
    )
    if warnings:
        out.append(
            "Hit counts differ (FTS5's porter stemming and query syntax are not PostgreSQL's english "
            "websearch):\n  " + "\n  ".join(warnings)
        )
    out.append(
        f"gunicorn worker peak RSS {compared['worker_rss'] / 2**20:.0f} MB (target ≤ 250 MB); "
        f"Datasette RSS {compared['datasette_rss'] / 2**20:.0f} MB; speed check {speed_before:.0f} ms "
        f"before and {speed_after:.0f} ms after the HTTP rounds."
    )
    if compared["worker_rss"] > 250 * 2**20:
        misses.append(f"gunicorn worker RSS {compared['worker_rss'] / 2**20:.0f} MB > 250 MB")
    return out, misses
