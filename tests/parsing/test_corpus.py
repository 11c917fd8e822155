"""Every report of the dev corpus against corpus_expected.csv: its kind, inspection dates, lead
inspector (but a JTAI's), every printed grade, its printed paragraph numbers (1..N, less any number the report prints
with no finding after it: `unnumbered`) and its authority (the Ofsted URN its folder is named by).

The expected values were read by hand from each report, by readers who never ran the parser; the
folders' URNs come from Ofsted's own file layout. Where a new report joins the corpus, it needs a row.
"""

import csv
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from inspections.authority_names import AuthorityMatcher
from inspections.models import Authority

from ..conftest import CORPUS, CORPUS_MISSING, corpus_report

HERE = Path(__file__).resolve().parent
EXPECTED = list(csv.DictReader((HERE / "corpus_expected.csv").open(encoding="utf-8")))
DEV = CORPUS / "dev"
needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason=CORPUS_MISSING)


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


@cache
def _matcher() -> AuthorityMatcher:
    return AuthorityMatcher(Authority.objects.all())


@needs_corpus
@pytest.mark.corpus
def test_every_corpus_report_has_expected_values():
    on_disk = {str(path.relative_to(DEV)) for path in DEV.rglob("*.pdf")}
    assert on_disk == {row["file"] for row in EXPECTED}


@needs_corpus
@pytest.mark.corpus
@pytest.mark.django_db
@pytest.mark.parametrize("row", EXPECTED, ids=[row["file"] for row in EXPECTED])
def test_corpus_report(row):
    report = corpus_report(DEV / row["file"])
    assert report.kind == row["kind"]
    assert (report.start_date, report.end_date) == (_date(row["start_date"]), _date(row["end_date"]))
    if row["kind"] != "jtai":  # a JTAI letter is signed by each inspectorate's head: it names no lead
        assert report.lead_inspector == row["lead_inspector"]
    grades = dict(pair.split("=") for pair in row["grades"].split(";") if pair)
    assert {judgement.area: judgement.grade for judgement in report.judgements} == grades
    assert len(report.judgements) == len(grades)

    unnumbered = {int(number) for number in row["unnumbered"].split()}
    highest = int(row["paragraphs"] or 0)
    numbers = [finding.number for finding in report.findings if finding.number is not None]
    assert numbers == [number for number in range(1, highest + 1) if number not in unnumbered]

    urn = int(row["file"].split("_", 1)[0])
    matched = _matcher().match(report.authority_name, on=report.start_date or report.letter_date)
    assert matched is not None, f"authority not matched: read as {report.authority_name!r}"
    # a report from before a reorganisation names the council its folder's authority replaced
    authority = Authority.objects.get(pk=matched)
    assert urn in {authority.ofsted_urn, *authority.replaced_by.values_list("ofsted_urn", flat=True)}
