"""`manage.py bench`: the pages' query mix, timed, beside its floor and SQLite FTS5.

Every figure is taken through the code the pages use: each search is a real request for
/findings/?… (the FilterSet, the search, the facet counts, the page of 20 with highlights, the
template), made with Django's test Client in a child process that plays the serving process, so its
peak memory is the serving process's. Beside each search the bench shows

- the floor: the GIN bitmap index scan alone for the same text query (EXPLAIN ANALYZE), the least
  any design that uses the index can do, and the request's multiple of it;
- SQLite FTS5 (what Datasette serves; the `bench` extra): the archive exported to SQLite with an
  FTS5 table, and the same logical request run there (the count, the top 20 by rank with a snippet,
  and one grouped query per facet, each without its own filter), and the request's multiple of it;
- Datasette itself (the `bench` extra; over_http.py): each search's page and API request over HTTP,
  ours under gunicorn and Datasette's on the same export, timed alternately, with the ratio.

Each request is timed three ways, p50 / p95 / max: warm (after a first run, with the cache cleared
before each run: buffers warm, the request doing all its work), cached (the same request again,
its counts and page from the cache) and cold (the archive's tables and indexes evicted from
PostgreSQL's shared buffers with pg_buffercache and, where the files can be read, from the operating
system's page cache with posix_fadvise, a new connection and the cache cleared before each run: as
after a server restart on a machine that has just booted). The warm and cached runs go round the
whole mix, one run of each request a round, so that a slow spell of the machine spreads over every
request rather than landing on a few. The targets are judged on the warm figures; cached ones are
shown apart.
"""

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import DatabaseError, connection
from django.test.signals import template_rendered

# The query mix -------------------------------------------------------------------------------------

# (name, websearch text for the archive, the same query in FTS5 syntax)
QUERIES = [
    ("common word", "supervision", "supervision"),
    ("rare word", "homophobic", "homophobic"),
    ("phrase", '"reflective supervision"', '"reflective supervision"'),
    ("OR", "neglect OR exploitation", "neglect OR exploitation"),
    ("exclusion", "supervision -managers", "supervision NOT managers"),
]
FILTERS = [
    ("", {}),
    ("authority", {"authority": ["leeds"]}),
    ("theme", {"theme": ["multi-agency"]}),
    ("kind", {"kind": ["area_for_improvement"]}),
    ("dates", {"date_from": "2015-01-01", "date_to": "2017-12-31"}),
    ("grade", {"grade": ["inadequate"]}),
]
BROAD_QUERY = ("assessment", "assessment")
DEEP_PAGE = 200
CSV_ROWS = 50_000
CSV_FILTER = {"kind": ["narrative"]}
# The targets (issue #20). At every size: each search's page and API request faster than Datasette
# over HTTP at p50 and p95 (over_http.py); the CSV export at 20,000 rows/s or more with flat memory;
# the serving process within 250 MB. At Ofsted-wide scale (about a million findings; judged from this
# many): searches warm p95 within 50 ms and cold p95 within 300 ms, and within 5x of the GIN floor on
# database time (a floor under 1 ms counts as 1 ms: no request is a single index scan). At the
# archive's real size (some 20,000 findings), every request warm p95 within 20 ms.
AT_SCALE = 500_000
REAL_SIZE_TARGET_MS = 20
SCALE_WARM_P95_MS = 50
SCALE_COLD_P95_MS = 300
FLOOR_MULTIPLE = 5
MINIMUM_FLOOR_MS = 1.0


@dataclass
class Case:
    name: str
    params: dict
    fts: str | None = None  # the FTS5 query; None: no text query
    floor_query: str | None = None  # the websearch text whose GIN scan is the floor
    kind: str = "search"  # search, csv, authority or inspection (page)


def query_mix() -> list[Case]:
    cases = []
    for name, text, fts in QUERIES:
        for label, filters in FILTERS:
            cases.append(
                Case(f"{name} {text}" + (f" + {label}" if label else ""), {"q": text, **filters}, fts, text)
            )
    for label, filters in FILTERS:
        cases.append(Case(f"no query, {label or 'no filters'}", dict(filters), None))
    text, fts = BROAD_QUERY
    cases.append(Case(f"page {DEEP_PAGE} of {text}", {"q": text, "page": DEEP_PAGE}, fts, text))
    cases.append(Case(f"page {DEEP_PAGE}, no query", {"page": DEEP_PAGE}, None))
    cases.append(Case(f"CSV export, {CSV_ROWS} rows", dict(CSV_FILTER), None, kind="csv"))
    cases.append(Case("authority page", {}, None, kind="authority"))
    cases.append(Case("inspection page", {}, None, kind="inspection"))
    return cases


def percentile(values: list[float], percent: int) -> float:
    """The `percent`th percentile (1 to 99: p50 is the median), interpolated between the two nearest
    values (statistics.quantiles' inclusive method); NaN when there are none."""
    if len(values) < 2:  # quantiles needs two values before Python 3.13
        return float(values[0]) if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


@dataclass
class Timings:
    runs: list[float] = field(default_factory=list)

    @property
    def p50(self):
        return percentile(self.runs, 50)

    @property
    def p95(self):
        return percentile(self.runs, 95)

    @property
    def max(self):
        return max(self.runs) if self.runs else float("nan")


# Cold runs -----------------------------------------------------------------------------------------

RELATIONS = """
SELECT c.oid::regclass::text, pg_relation_filepath(c.oid)
FROM pg_class AS c
WHERE c.relkind IN ('r', 'i', 't', 'm') AND c.relfilenode <> 0
  AND c.relnamespace IN ('public'::regnamespace, 'pg_toast'::regnamespace)
"""


class ColdStart:
    """Empties PostgreSQL's buffers (and, where allowed, the OS page cache) of the archive's relations."""

    def __init__(self):
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_buffercache")  # needs a superuser
            cursor.execute("SHOW data_directory")
            (self.data_directory,) = cursor.fetchone()
        self.os_cache = os.access(self.data_directory, os.R_OK | os.X_OK)

    @property
    def description(self) -> str:
        drops = "shared buffers and OS page cache" if self.os_cache else "shared buffers only"
        return f"cold = archive relations evicted ({drops}), new connection, cache cleared"

    def __call__(self):
        with connection.cursor() as cursor:
            cursor.execute(RELATIONS)
            relations = cursor.fetchall()
            for name, _ in relations:
                cursor.execute("SELECT pg_buffercache_evict_relation(%s::regclass)", [name])
        if self.os_cache:
            for _, path in relations:
                self._drop_os_cache(Path(self.data_directory) / path)
        connection.close()
        clear_caches()

    @staticmethod
    def _drop_os_cache(path: Path):
        pattern = re.compile(rf"^{re.escape(path.name)}(_fsm|_vm|_init)?(\.\d+)?$")
        try:
            names = [name for name in os.listdir(path.parent) if pattern.match(name)]
        except OSError:
            return
        for name in names:
            try:
                descriptor = os.open(path.parent / name, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


# The serving process (child) ----------------------------------------------------------------------


def resident_bytes() -> int:
    """This process's resident memory now (Linux /proc; elsewhere its peak so far)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class TemplateTimingMiddleware:
    """The bench's own middleware, innermost: the template's share of each request, so the search
    itself can be told from the page. Views render last, so the share runs from the moment the first
    template starts (Django's template_rendered signal) to the view's return; it is set on the
    response as `template_seconds` (0 when nothing was rendered)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = []

        def first_template(**kwargs):
            if not started:
                started.append(time.perf_counter())

        template_rendered.connect(first_template)
        try:
            response = self.get_response(request)
        finally:
            template_rendered.disconnect(first_template)
        response.template_seconds = time.perf_counter() - started[0] if started else 0.0
        return response


def serve_and_measure(spec: dict) -> dict:
    """Run in the child: time every case through the test Client; report timings and memory."""
    from django.test import Client
    from django.test.utils import modify_settings, setup_test_environment
    from django.urls import reverse

    from ..models import Authority, Finding, Inspection

    setup_test_environment()  # Django's template instrumentation: templates send template_rendered
    modify_settings(MIDDLEWARE={"append": f"{__name__}.TemplateTimingMiddleware"}).enable()
    client = Client()
    cold, cold_note = None, "no cold runs"
    if spec["cold_runs"]:
        try:
            cold = ColdStart()
            cold_note = cold.description
        except DatabaseError as error:  # no pg_buffercache, or not allowed to install it
            spec["cold_runs"] = 0
            cold_note = f"no cold runs: {str(error).strip()}"
    authority = Authority.objects.get(slug="leeds")
    inspection = (
        Inspection.objects.exclude(source_filename__startswith="synthetic/")
        .order_by("-pk")
        .filter(pk__in=Finding.objects.values("inspection_id"))
        .first()
    )
    db_time = [0.0, 0]

    def timed_query(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db_time[0] += time.perf_counter() - started
            db_time[1] += 1

    def url_of(case: Case) -> str:
        if case.kind == "authority":
            return reverse("authority-detail", args=[authority.slug])
        if case.kind == "inspection":
            return reverse("inspection-detail", args=[inspection.pk])
        path = reverse("finding-csv" if case.kind == "csv" else "finding-search")
        return f"{path}?{urlencode(case.params, doseq=True)}"

    def run(case: Case) -> tuple[float, float, int, dict]:
        db_time[0], db_time[1] = 0.0, 0
        extra = {}
        with connection.execute_wrapper(timed_query):
            started = time.perf_counter()
            response = client.get(url_of(case))
            if case.kind == "csv":
                before = resident_bytes()
                peak, rows = before, 0
                for chunk in response.streaming_content:
                    rows += chunk.count(b"\r\n")  # csv.writer ends each row so; texts use \n alone
                    peak = max(peak, resident_bytes())
                    if rows > CSV_ROWS:
                        break
                response.close()
                extra = {"rows": rows - 1, "memory_growth": peak - before}
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, (case.name, response.status_code)
        extra["page"] = elapsed * 1000
        return (elapsed - response.template_seconds) * 1000, db_time[0] * 1000, db_time[1], extra

    cases = [Case(**item) for item in spec["cases"]]
    results = {
        case.name: {"warm": [], "cached": [], "cold": [], "db": [], "page": [], "queries": 0}
        for case in cases
    }
    for case in cases:
        run(case)  # first run: warms this request's pages, plans and code paths
    # Round after round of every request, rather than each request's runs together: a slow spell of
    # the machine then spreads over every request instead of landing on a few.
    for _ in range(spec["warm_runs"]):
        for case in cases:
            result = results[case.name]
            clear_caches()  # warm buffers, nothing cached: the request does all its work
            elapsed, in_db, result["queries"], extra = run(case)
            result["warm"].append(elapsed)
            result["db"].append(in_db)
            result["page"].append(extra.pop("page"))
            result.update(extra)
            if case.kind == "search":
                result["cached"].append(run(case)[0])  # the same request again: served from the cache
    for case in cases:
        for _ in range(spec["cold_runs"] if case.kind != "csv" else min(spec["cold_runs"], 1)):
            cold()
            results[case.name]["cold"].append(run(case)[0])
    return {
        "results": results,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "cold": cold_note,
    }


# Floors ---------------------------------------------------------------------------------------------


def gin_floor_ms(text: str, runs: int) -> float:
    """The GIN bitmap index scan alone for the text query, as EXPLAIN ANALYZE times it (median)."""
    from django.http import QueryDict

    from ..filters import FindingFilterSet

    queryset = FindingFilterSet(QueryDict(urlencode({"q": text}))).qs.order_by()
    sql, params = queryset.values("pk").query.sql_with_params()
    times = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for _ in range(runs + 1):
                cursor.execute(
                    f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM ({sql}) AS matched", params
                )
                (plan,) = cursor.fetchone()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                times.append(sum(_index_scan_times(plan[0]["Plan"])))
        finally:
            cursor.execute("RESET enable_seqscan")
    return statistics.median(times[1:])


def exact_count_ms(text: str, runs: int) -> float:
    """The least an exact count of the text query's matches takes: one count(*) (median wall time)."""
    from django.http import QueryDict

    from ..filters import FindingFilterSet

    queryset = FindingFilterSet(QueryDict(urlencode({"q": text}))).qs.order_by()
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        queryset.count()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])


def _index_scan_times(node: dict):
    if node.get("Node Type") == "Bitmap Index Scan":
        yield node["Actual Total Time"]
    for child in node.get("Plans", []):
        yield from _index_scan_times(child)


# SQLite FTS5 ---------------------------------------------------------------------------------------

SQLITE_FACETS = ["authority_slug", "region", "inspection_kind", "kind", "grade"]


def sqlite_available() -> bool:
    try:
        import sqlite_utils  # noqa: F401
    except ImportError:
        return False
    return True


# Bumped whenever the export's tables change, so an older export is made again.
EXPORT_VERSION = 2


def archive_fingerprint() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM inspections_finding), (SELECT max(id) FROM inspections_finding), "
            "(SELECT count(*) FROM inspections_findingtheme), (SELECT max(id) FROM inspections_judgement)"
        )
        return "-".join(str(value) for value in (EXPORT_VERSION, *cursor.fetchone()))


def export_sqlite(path: Path, log) -> Path:
    """The archive as SQLite, as a Datasette user would load it: one `findings` table with an FTS5
    index (porter stemming) that Datasette's `_search=` finds, and with the columns each of our
    facets counts by, each indexed: `authority_slug`, `region`, `inspection_kind`, `kind`, `grade`,
    and `themes`, a JSON array of theme slugs (`_facet_array=themes`, `themes__arraycontains=`). The
    values are the finding's own copies of its inspection's facets, which our filters read too.
    `finding_themes` (finding, theme) serves the in-process queries."""
    import sqlite_utils

    fingerprint = archive_fingerprint()
    stamp = path.with_suffix(".fingerprint")
    if path.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return path
    log(f"Exporting the archive to {path} with an FTS5 index (once per archive state)…")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    findings_sql = """
        SELECT f.id, f.text, f.section, a.slug, a.short_name, a.region, f.inspection_kind,
               f.inspection_date::text, f.kind, f.grade,
               coalesce((SELECT json_agg(t.slug ORDER BY t.slug) FROM inspections_theme AS t
                         WHERE t.id = ANY (f.theme_ids))::text, '[]'),
               f.inspection_id, f."order"
        FROM inspections_finding AS f
        JOIN inspections_authority AS a ON a.id = f.authority_id
    """
    columns = [
        "id", "text", "section", "authority_slug", "authority_name", "region", "inspection_kind",
        "inspection_date", "kind", "grade", "themes", "inspection_id", "order",
    ]  # fmt: skip

    def rows(sql, names):
        with connection.connection.cursor(name="bench_export") as cursor:
            cursor.itersize = 5000
            cursor.execute(sql)
            for row in cursor:
                yield dict(zip(names, row, strict=True))

    with connection.cursor():
        pass  # make sure Django's connection is open for the server-side cursors
    from django.db import transaction

    db["finding_themes"].create({"finding_id": int, "theme_slug": str})  # there even with no tags
    with transaction.atomic():
        db["findings"].insert_all(rows(findings_sql, columns), pk="id", batch_size=5000)
        db["finding_themes"].insert_all(
            rows(
                "SELECT ft.finding_id, t.slug FROM inspections_findingtheme AS ft "
                "JOIN inspections_theme AS t ON t.id = ft.theme_id",
                ["finding_id", "theme_slug"],
            ),
            batch_size=20000,
        )
    for column in (*SQLITE_FACETS, "inspection_date"):
        db["findings"].create_index([column])
    db["findings"].create_index(["inspection_date", "inspection_id", "order"])
    db["finding_themes"].create_index(["finding_id"])
    db["finding_themes"].create_index(["theme_slug", "finding_id"])
    db["findings"].enable_fts(["text", "section"], tokenize="porter", create_triggers=False)
    db.execute("ANALYZE")
    db.conn.close()
    stamp.write_text(fingerprint)
    return path


def sqlite_request(db, case: Case) -> None:
    """The request's logical equivalent in SQLite: count, a page of 20 with snippets, every facet."""
    params = case.params
    match = case.fts
    source = "findings_fts JOIN findings AS f ON f.id = findings_fts.rowid" if match else "findings AS f"

    def where(skip: str = "") -> tuple[str, list]:
        clauses, args = ([], [])
        if match:
            clauses.append("findings_fts MATCH ?")
            args.append(match)
        for name, column in (
            ("authority", "authority_slug"),
            ("region", "region"),
            ("inspection_kind", "inspection_kind"),
            ("kind", "kind"),
            ("grade", "grade"),
        ):
            if params.get(name) and name != skip:
                clauses.append(f"f.{column} IN ({', '.join('?' for _ in params[name])})")
                args += params[name]
        if params.get("theme") and skip != "theme":
            marks = ", ".join("?" for _ in params["theme"])
            clauses.append(f"f.id IN (SELECT finding_id FROM finding_themes WHERE theme_slug IN ({marks}))")
            args += params["theme"]
        if params.get("date_from"):
            clauses.append("f.inspection_date >= ?")
            args.append(params["date_from"])
        if params.get("date_to"):
            clauses.append("f.inspection_date <= ?")
            args.append(params["date_to"])
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    clause, args = where()
    if match and clause == " WHERE findings_fts MATCH ?":
        db.execute("SELECT count(*) FROM findings_fts WHERE findings_fts MATCH ?", [match]).fetchall()
    else:
        db.execute(f"SELECT count(*) FROM {source}{clause}", args).fetchall()
    offset = (int(params.get("page", 1)) - 1) * 20
    if match:
        page = (
            f"SELECT f.id, snippet(findings_fts, 0, '<mark>', '</mark>', ' … ', 30) FROM {source}{clause} "
            f"ORDER BY rank LIMIT 20 OFFSET {offset}"
        )
    else:
        page = (
            f"SELECT f.id, f.text FROM {source}{clause} "
            f'ORDER BY f.inspection_date DESC, f.inspection_id DESC, f."order" LIMIT 20 OFFSET {offset}'
        )
    db.execute(page, args).fetchall()
    for column, name in zip(
        SQLITE_FACETS, ["authority", "region", "inspection_kind", "kind", "grade"], strict=True
    ):
        clause, args = where(skip=name)
        db.execute(f"SELECT f.{column}, count(*) FROM {source}{clause} GROUP BY 1", args).fetchall()
    clause, args = where(skip="theme")
    db.execute(
        f"SELECT t.theme_slug, count(*) FROM {source} JOIN finding_themes AS t ON t.finding_id = f.id"
        f"{clause} GROUP BY 1",
        args,
    ).fetchall()


def sqlite_times(path: Path, cases: list[Case], runs: int) -> dict[str, list[float]]:
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("PRAGMA cache_size = -262144")  # 256 MB, as generous as PostgreSQL's settings
    times = {}
    for case in cases:
        if case.kind != "search":
            continue
        sqlite_request(db, case)
        runs_ms = []
        for _ in range(runs):
            started = time.perf_counter()
            sqlite_request(db, case)
            runs_ms.append((time.perf_counter() - started) * 1000)
        times[case.name] = runs_ms
    db.close()
    return times


# The whole bench (parent) -------------------------------------------------------------------------


def hits_of(case: Case) -> int | None:
    from django.http import QueryDict

    from ..filters import FindingFilterSet

    if case.kind != "search":
        return None
    params = {key: value for key, value in case.params.items() if key != "page"}
    return FindingFilterSet(QueryDict(urlencode(params, doseq=True))).qs.count()


def run_child(spec: dict) -> dict:
    env = {**os.environ, "DEBUG": "0", "ARCHIVE_NO_BOOTSTRAP": "1"}
    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "bench", "--child", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"The bench's serving process failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def clear_caches() -> None:
    """Empties every cache (counts, pages ids, whole pages): the next request does all its work."""
    from django.core.cache import caches

    for each in caches.all():
        each.clear()


def machine_speed_ms() -> float:
    """A fixed piece of pure-Python work, timed (median of five): how fast this machine is now.
    Virtual machines' speed drifts (by up to 2x over minutes on the one this was written on), so
    two runs' figures compare only when their machine speeds do."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_bench(
    *,
    warm_runs: int,
    cold_runs: int,
    sqlite: bool,
    datasette: bool = True,
    http_runs: int = 0,
    api_sort: str = "",
    only: str,
    log,
) -> str:
    cases = [case for case in query_mix() if only.lower() in case.name.lower()]
    started = time.perf_counter()
    load_before = os.getloadavg(), machine_speed_ms()
    log(f"Timing {len(cases)} requests in a serving process ({warm_runs} warm, {cold_runs} cold runs each)…")
    served = run_child(
        {"cases": [asdict(case) for case in cases], "warm_runs": warm_runs, "cold_runs": cold_runs}
    )
    log("Measuring the GIN floors…")
    texts = {case.floor_query for case in cases if case.floor_query}
    floors = {text: gin_floor_ms(text, runs=max(warm_runs // 2, 3)) for text in texts}
    counts = {text: exact_count_ms(text, runs=max(warm_runs // 2, 3)) for text in texts}
    from .over_http import compare_over_http, datasette_available

    # one file per database, so benching two archives in turn does not export each every time
    sqlite_path = settings.BASE_DIR / ".bench" / f"{settings.DATABASES['default']['NAME']}.sqlite"
    sqlite_ms, notes, compared = {}, [], None
    if sqlite and sqlite_available():
        export_sqlite(sqlite_path, log)
        log("Timing SQLite FTS5…")
        sqlite_ms = sqlite_times(sqlite_path, cases, warm_runs)
    elif sqlite:
        notes.append("SQLite FTS5 skipped: install the bench extra (pip install -e '.[bench]').")
    else:
        notes.append("SQLite FTS5 skipped (--no-sqlite).")
    if datasette and datasette_available() and any(case.kind == "search" for case in cases):
        export_sqlite(sqlite_path, log)
        compared = compare_over_http(sqlite_path, cases, http_runs or warm_runs, log, api_sort)
    elif datasette and not datasette_available():
        notes.append(
            "Datasette over HTTP skipped: install the bench extra (pip install -e '.[bench]'); "
            "the targets beside Datasette are not judged."
        )
    elif datasette:
        notes.append("Datasette over HTTP skipped: no search in the requests chosen.")
    else:
        notes.append(
            "Datasette over HTTP skipped (--no-datasette); the targets beside Datasette are not judged."
        )
    hits = {case.name: hits_of(case) for case in cases}
    return report(
        cases,
        served,
        floors,
        counts,
        sqlite_ms,
        hits,
        notes,
        load_before,
        time.perf_counter() - started,
        compared,
    )


def _ms(value: float) -> str:
    if value != value:  # NaN
        return "–"
    if value < 1:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def report(cases, served, floors, counts, sqlite_ms, hits, notes, load_before, elapsed, compared=None) -> str:
    from ..models import Finding
    from ..storage import date_order
    from .over_http import report as http_report

    header = [
        "request", "hits", "warm p50", "p95", "max", "cold p50", "p95", "max", "db p50", "p95", "queries",
        "page p95", "cached p50", "p95", "floor", "×floor", "count", "SQLite", "×SQLite",
    ]  # fmt: skip
    rows, misses = [], []
    findings = Finding.objects.count()
    at_scale = findings >= AT_SCALE
    for case in cases:
        result = served["results"][case.name]
        warm, cold, db = Timings(result["warm"]), Timings(result["cold"]), Timings(result["db"])
        page, cached = Timings(result["page"]), Timings(result["cached"])
        floor = floors.get(case.floor_query) if case.floor_query else None
        lite = Timings(sqlite_ms[case.name]) if case.name in sqlite_ms else None
        # judged on the time spent in the database, against a floor of at least 1 ms
        floor_ratio = db.p95 / max(floor, MINIMUM_FLOOR_MS) if floor else None
        lite_ratio = warm.p95 / lite.p50 if lite else None
        rows.append(
            [
                case.name,
                "" if hits[case.name] is None else f"{hits[case.name]:,}",
                _ms(warm.p50), _ms(warm.p95), _ms(warm.max),
                _ms(cold.p50), _ms(cold.p95), _ms(cold.max),
                _ms(db.p50), _ms(db.p95), str(result["queries"]), _ms(page.p95),
                _ms(cached.p50), _ms(cached.p95),
                _ms(floor) if floor else "", f"{floor_ratio:.1f}" if floor_ratio else "",
                _ms(counts[case.floor_query]) if case.floor_query else "",
                _ms(lite.p50) if lite else "", f"{lite_ratio:.2f}" if lite_ratio else "",
            ]
        )  # fmt: skip
        if not at_scale and case.kind != "csv" and warm.p95 > REAL_SIZE_TARGET_MS:
            misses.append(f"{case.name}: warm p95 {warm.p95:.1f} ms > {REAL_SIZE_TARGET_MS} ms")
        if at_scale and case.kind == "search":
            if warm.p95 > SCALE_WARM_P95_MS:
                misses.append(f"{case.name}: warm p95 {_ms(warm.p95)} ms > {SCALE_WARM_P95_MS} ms")
            if cold.runs and cold.p95 > SCALE_COLD_P95_MS:
                misses.append(f"{case.name}: cold p95 {_ms(cold.p95)} ms > {SCALE_COLD_P95_MS} ms")
            if floor_ratio and floor_ratio > FLOOR_MULTIPLE:
                misses.append(
                    f"{case.name}: db p95 {floor_ratio:.1f}× the GIN floor (at least 1 ms) > {FLOOR_MULTIPLE}×"
                )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "  ".join(
            str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)
        )

    out = [line(header), line(["-" * width for width in widths]), *map(line, rows), ""]
    csv = next((served["results"][c.name] for c in cases if c.kind == "csv"), None)
    if csv:  # the rate of the median warm export
        csv["rate"] = csv["rows"] / (Timings(csv["warm"]).p50 / 1000)
    order = date_order()  # cluster_findings: about -0.94 (the sample stored first)
    stored = "" if order is None else f" (stored order against date: correlation {order:.2f})"
    out.append(f"Archive: {findings:,} findings{stored}. Times in ms; {served['cold']}.")
    common = (
        "every search's page and API request faster than Datasette over HTTP at p50 and p95; CSV ≥ 20,000 "
        "rows/s with < 100 MB growth; serving RSS ≤ 250 MB a process (the bench's and gunicorn's worker); "
        "load (loadtest, 50 clients, 60 s, a million findings): ≥ 150 requests/s, p95 ≤ 500 ms, 0 errors, "
        "judged by `manage.py loadtest`, not here."
    )
    if at_scale:
        out.append(
            f"Targets at this scale: searches warm p95 ≤ {SCALE_WARM_P95_MS} ms and cold p95 ≤ "
            f"{SCALE_COLD_P95_MS} ms; within {FLOOR_MULTIPLE}× of the GIN floor on database time (db p95 / "
            f"floor, the floor at least {MINIMUM_FLOOR_MS:.0f} ms); {common}"
        )
    else:
        out.append(
            f"Targets at this size (under {AT_SCALE:,} findings): every request warm p95 ≤ "
            f"{REAL_SIZE_TARGET_MS} ms (the CSV export is judged by its rate and memory); {common} "
            "In-process SQLite and the floor are shown for comparison."
        )
    out.append(
        "warm and cold: the request without its template rendering (the FilterSet, the search, the "
        "facet counts, the page of 20 with highlights), nothing cached (each process holds only the "
        "authorities' and themes' names, the sample's size and the archive's, per archive version, the word pairs and "
        "lexemes of the queries it has searched for, and the marks of the pieces of text it has marked); page p95: the whole request, "
        "template included; db p50: time in SQL; cached: the same request repeated, its counts and page "
        "served from the cache. floor: the GIN bitmap index scan alone (EXPLAIN ANALYZE, median); "
        f"×floor = db p95 / floor (a floor under {MINIMUM_FLOOR_MS:.0f} ms counted as {MINIMUM_FLOOR_MS:.0f} ms); "
        "count: an exact count(*) of the text's matches alone (median), the "
        "least an exact design pays; SQLite: in process, count, top 20 with snippets and every facet (p50); "
        "×SQLite = warm p95 / SQLite p50 (not judged: the targets are beside Datasette over HTTP)."
    )
    out += notes
    if csv:
        out.append(
            f"CSV export: {csv['rows']:,} rows at {csv['rate']:,.0f} rows/s, memory growth "
            f"{csv['memory_growth'] / 2**20:.0f} MB (target ≥ 20,000 rows/s, < 100 MB)."
        )
        if csv["rate"] < 20_000:
            misses.append(f"CSV export: {csv['rate']:,.0f} rows/s < 20,000")
        if csv["memory_growth"] >= 100 * 2**20:
            misses.append("CSV export: memory growth ≥ 100 MB")
    peak = served["peak_rss"] / 2**20
    out.append(f"Serving process peak RSS: {peak:.0f} MB (target ≤ 250 MB).")
    if peak > 250:
        misses.append(f"peak RSS {peak:.0f} MB > 250 MB")
    if compared:
        table, http_misses = http_report(compared, _ms)
        out += ["", *table]
        misses += http_misses
    (load_before, speed_before), load_after = load_before, os.getloadavg()
    out.append(
        f"Machine: {os.cpu_count()} CPUs, load average {load_before[0]:.1f} before and "
        f"{load_after[0]:.1f} after; speed check (a fixed Python loop) {speed_before:.0f} ms before and "
        f"{machine_speed_ms():.0f} ms after; bench took {elapsed:.0f} s."
    )
    if misses:
        out.append("Targets missed:\n  " + "\n  ".join(misses))
    else:
        out.append(
            "Targets: all met." + ("" if compared else " (Datasette's column was skipped: not judged.)")
        )
    return "\n".join(out)
