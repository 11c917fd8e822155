"""Every public URL under a seeded storm of hostile requests: never a server error, never reflected markup.

Over 10,000 requests go through Django's test client, in process, against a small archive. Their
query strings mix real parameter names and junk ones, repeated, with random unicode (right-to-left
text, emoji, control characters), 10,000-character values, bad page numbers and dates, SQL and
tsquery fragments, and HTML probes. Each probe is unique; the raw probe must never come back in an
HTML page (only its escaped form), CSV must parse as CSV and JSON as JSON. A failure names the seed,
the request and the error, so it can be replayed by hand.
"""

import csv
import io
import json
import logging
import random
import re
import time
import urllib.parse
from collections import Counter
from xml.etree import ElementTree

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client

from inspections.choices import AuthorityType, FindingKind, Grade, InspectionKind, Region
from inspections.filters import AuthorityFilterSet, FindingFilterSet, InspectionFilterSet
from inspections.models import Authority

from .sample_archive import sample_archive

pytestmark = pytest.mark.django_db

SEED = 20_240_611
# Requests per URL: the cheap ones get more, the pages that render facets and charts fewer.
REQUESTS = {
    "home": 120,
    "finding-search": 650,
    "finding-csv": 600,
    "finding-feed": 400,
    "authority-list": 100,
    "authority-detail": 900,
    "inspection-detail": 900,
    "inspection-source": 900,
    "theme-list": 600,
    "theme-detail": 1000,
    "api-findings": 1100,
    "api-authorities": 500,
    "api-inspections": 700,
    "api-openapi": 400,
    "unknown": 1600,
}
PARAMETERS = {
    "finding": [*FindingFilterSet.base_filters, "sort", "page", "page_size"],
    "authority": [*AuthorityFilterSet.base_filters, "sort", "page", "page_size"],
    "inspection": [*InspectionFilterSet.base_filters, "page", "page_size"],
}
PARAMETERS_OF = {
    "authority-list": PARAMETERS["authority"],
    "api-authorities": PARAMETERS["authority"],
    "api-inspections": PARAMETERS["inspection"],
}
# The raw form of any probe; escaped, none of these can appear.
UNESCAPED = re.compile(
    r"<x-(?:stored-)?probe|[\"']\s*onmouseover=probe|<script>probe|href=\"?javascript:", re.I
)

SQL = [
    "' OR 1=1 --",
    "'; DROP TABLE inspections_finding; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "\\",
    "%",
    "_",
    "''",
]
TSQUERY = [":*", "&", "|", "!", "<->", "<2>", "(", ")", '"', '"unbalanced', "((a", "a)", "a & | b", "!!!", "a:*", "-", "--x", "OR", "a OR", "OR OR", "'a':*", "\\:", "\"\"", "-\"a b\""]  # fmt: skip
NUMBERS = ["-1", "0", "1", "2", "3", "-99999999999999999999", "99999999999999999999999999", str(2**63), "1e10", "NaN", "inf", "-inf", "1.5", "0x10", " 2 ", "", "-0", "٣", "1_000", "²"]  # fmt: skip
DATES = ["2023-02-30", "99999-01-01", "0000-00-00", "0001-01-01", "9999-12-31", "2023-13-01", "2023-1-1", "2023/01/01", "01/02/2023", "1900-02-29", "2024-02-29", "yesterday", "2022-05-09T00:00", "-2022-01-01"]  # fmt: skip
REAL = [*(c.value for c in (*Region, *AuthorityType, *Grade, *FindingKind, *InspectionKind)), "leeds", "rutland", "supervision", "care-leavers", "relevance", "newest", "oldest", "2015-01-01", "care leavers", "children"]  # fmt: skip
ALPHABETS = [
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x17F),  # Latin-1 and Latin Extended-A
    (0x0590, 0x05FF),  # Hebrew
    (0x0600, 0x06FF),  # Arabic
    (0x0300, 0x036F),  # combining marks
    (0x2000, 0x206F),  # punctuation, zero-width and bidi controls (U+202E right-to-left override)
    (0x1F300, 0x1F6FF),  # emoji
    (0x01, 0x1F),  # control characters, NUL excepted
    (0xFFF0, 0xFFFF),  # specials and non-characters
    (0xE000, 0xE00F),  # private use: the highlighter's own marks
    (0x3040, 0x30FF),  # kana
]


class HostileRequests:
    """Seeded generator of hostile requests; every HTML probe it makes has a unique number."""

    def __init__(self, seed: int, slugs: dict[str, list[str]], pks: list[int]):
        self.rng = random.Random(seed)
        self.slugs = slugs
        self.pks = pks
        self.probes = 0

    def probe(self) -> str:
        self.probes += 1
        n = self.probes
        return self.rng.choice(
            [
                f"<x-probe-{n}>",
                f'"onmouseover=probe{n}',
                f"' onmouseover=probe{n} x='",
                f"</textarea></title><x-probe-{n}>",
                f"<script>probe{n}</script>",
                f'"><x-probe-{n} a="',
                f"javascript:probe{n}",
                f"supervision <x-probe-{n}>",
                f"care <x-probe-{n} leavers",
            ]
        )

    def unicode(self, length: int) -> str:
        start, end = self.rng.choice(ALPHABETS)
        return "".join(chr(self.rng.randint(start, end)) for _ in range(length))

    def value(self) -> str:
        rng = self.rng
        kind = rng.choices(
            ["real", "probe", "unicode", "mixed", "huge", "number", "date", "sql", "tsquery", "nul"],
            weights=[14, 14, 12, 8, 4, 12, 10, 8, 14, 4],
        )[0]
        if kind == "real":
            return rng.choice(REAL)
        if kind == "probe":
            return self.probe()
        if kind == "unicode":
            return self.unicode(rng.randint(1, 40))
        if kind == "mixed":
            parts = [rng.choice(REAL), self.probe(), rng.choice(TSQUERY), self.unicode(5), rng.choice(SQL)]
            return " ".join(rng.sample(parts, rng.randint(2, len(parts))))
        if kind == "huge":
            return rng.choice(["a", "supervision ", "<x-probe-huge>", "&", "é", "😀"]) * rng.randint(
                2_000, 10_000
            )
        if kind == "number":
            return rng.choice(NUMBERS)
        if kind == "date":
            return rng.choice(DATES)
        if kind == "sql":
            return rng.choice(SQL)
        if kind == "nul":
            return rng.choice(["\x00", "a\x00b", "leeds\x00", "2020-01-01\x00"])
        return " ".join(rng.choice(TSQUERY) for _ in range(rng.randint(1, 6)))

    def query(self, names: list[str]) -> str:
        rng = self.rng
        if rng.random() < 0.04:  # a raw query string, not made by urlencode
            return rng.choice(["%", "%zz", "&&&==", "a=%ff%fe%00", "q=%E2%80", "=x", "q", "q=a&q", "page=%2D1", "%3Cx-probe-raw%3E"])  # fmt: skip
        pairs = []
        for _ in range(rng.choices([0, 1, 2, 3, 5, 12], weights=[5, 30, 25, 20, 15, 5])[0]):
            name = (
                rng.choice(names)
                if rng.random() < 0.85
                else rng.choice([self.probe(), self.unicode(6), "q[]", ""])
            )
            pairs.extend((name, self.value()) for _ in range(rng.choices([1, 2, 4], weights=[80, 15, 5])[0]))
        return urllib.parse.urlencode(pairs)

    def slug(self, known: list[str]) -> str:
        rng = self.rng
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_"
        return rng.choice(
            [
                rng.choice(known),
                "".join(rng.choices(alphabet, k=rng.randint(1, 60))),
                "-" * rng.randint(1, 5),
                "a" * 10_000,
            ]
        )

    def pk(self) -> str:
        return str(
            self.rng.choice(
                [*self.pks, 0, 1, 999_999, 2**31, 2**63 - 1, 2**63, 10**30, int("9" * 100), "0" * 20 + "1"]
            )
        )

    def path(self, name: str) -> str:
        rng = self.rng
        if name == "authority-detail":
            return f"/authorities/{self.slug(self.slugs['authority'])}/"
        if name == "theme-detail":
            return f"/themes/{self.slug(self.slugs['theme'])}/"
        if name in ("inspection-detail", "inspection-source"):
            pk = self.pk() if rng.random() < 0.9 else rng.choice(["-1", "abc", "1.5", "%20"])
            return f"/inspections/{pk}/" + ("source" if name == "inspection-source" else "")
        if name == "unknown":
            probe = urllib.parse.quote(self.probe())
            return rng.choice([f"/{probe}/", f"/findings/{probe}", f"/api/{probe}", f"/authorities/{probe}/"])
        return {
            "home": "/",
            "finding-search": "/findings/",
            "finding-csv": "/findings.csv",
            "finding-feed": "/findings.atom",
            "authority-list": "/authorities/",
            "theme-list": "/themes/",
            "api-findings": "/api/findings",
            "api-authorities": "/api/authorities",
            "api-inspections": "/api/inspections",
            "api-openapi": "/api/openapi.json",
        }[name]


@pytest.fixture
def fuzz_archive():
    archive = sample_archive()
    archive["inspections"][0].source_file.save("report.txt", ContentFile(b"A report <x-stored-probe>."))
    return archive


def check(response, escaped: Counter) -> str | None:
    """What is wrong with a response, if anything; counts the escaped probes shown in `escaped`."""
    if response.status_code >= 500:
        return f"status {response.status_code}"
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if content_type.startswith("text/html"):
        html = body.decode()
        if match := UNESCAPED.search(html):
            start = max(match.start() - 80, 0)
            return f"unescaped probe in HTML: …{html[start : match.end() + 80]}…"
        escaped["pages"] += "&lt;x-probe-" in html or "&quot;onmouseover=probe" in html
    elif content_type.startswith("text/csv"):
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        if rows[0][0] != "finding_id" or any(len(row) != len(rows[0]) for row in rows):
            return "CSV rows do not match the header"
    elif content_type.startswith("application/json"):
        json.loads(body)
    elif content_type.startswith("application/atom+xml"):
        if ElementTree.fromstring(body).tag != "{http://www.w3.org/2005/Atom}feed":
            return "not an Atom feed"
    elif response.status_code == 200 and "source" not in response.request["PATH_INFO"]:
        return f"unexpected content type {content_type}"
    return None


def test_ten_thousand_hostile_requests_never_fail_or_reflect_markup(fuzz_archive, caplog):
    caplog.set_level(logging.ERROR, logger="django.request")  # not a warning for each of the 404s
    slugs = {
        "authority": [*Authority.objects.filter(end_date__isnull=False).values_list("slug", flat=True)[:3]]
        + [inspection.authority.slug for inspection in fuzz_archive["inspections"]],
        "theme": [theme.slug for theme in fuzz_archive["themes"]],
    }
    generator = HostileRequests(SEED, slugs, [inspection.pk for inspection in fuzz_archive["inspections"]])
    client = Client(raise_request_exception=True)
    plan = [name for name, count in REQUESTS.items() for _ in range(count)]
    random.Random(SEED).shuffle(plan)
    failures, statuses, seconds, escaped = [], Counter(), Counter(), Counter()
    for name in plan:
        url = generator.path(name)
        names = PARAMETERS_OF.get(name, PARAMETERS["finding"])
        query = generator.query(names)
        started = time.perf_counter()
        try:
            # A savepoint per request: one failing query must not abort the rest of the run.
            with transaction.atomic():
                response = client.get(f"{url}?{query}" if query else url)
                problem = check(response, escaped)
        except Exception as error:  # every error is a finding, reported below
            problem = f"{type(error).__name__}: {error}"
            response = None
        seconds[name] += time.perf_counter() - started
        statuses[response.status_code if response else "error"] += 1
        if problem:
            failures.append(f"GET {url[:200]}?{query[:300]} -> {problem[:600]}")
    summary = ", ".join(f"{name} {REQUESTS[name]} in {seconds[name]:.1f}s" for name in REQUESTS)
    print(f"\nseed {SEED}: {len(plan)} requests, statuses {dict(statuses)}")
    print(f"{escaped['pages']} HTML pages showed an escaped probe; per URL: {summary}")
    assert len(plan) >= 10_000
    assert escaped["pages"] > 100, "too few pages showed a probe: the test no longer reaches the templates"
    assert not failures, f"{len(failures)} of {len(plan)} requests failed (seed {SEED}):\n" + "\n".join(
        failures[:25]
    )
