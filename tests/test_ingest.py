"""From a report file to rows: the ingest service and commands, on the seeds and the real corpus."""

import datetime
import json
import subprocess
import sys

import pytest
from django.core.management import call_command

from inspections import services
from inspections.contract import report_as_contract, report_from_contract
from inspections.models import Finding, Inspection, Judgement
from inspections.parsing import parse_report
from inspections.services import AlreadyIngested, inspection_reparse, report_ingest

from .conftest import CORPUS, CORPUS_MISSING, ROOT, SEEDS, subprocess_env
from .documents import text_pdf

pytestmark = pytest.mark.django_db
RUTLAND_2011 = SEEDS / "rutland-2011-contact-referral-assessment.txt"
RUTLAND_2016 = SEEDS / "rutland-2016-single-inspection.txt"


def ingest(path):
    return report_ingest(data=path.read_bytes(), filename=path.name)


def kinds_of(inspection):
    return {kind: inspection.findings.filter(kind=kind).count() for kind in ("strength", "meets_requirements",
                                                                              "area_for_improvement")}  # fmt: skip


def test_rutland_2011_letter_is_read_exactly():
    inspection = ingest(RUTLAND_2011)
    assert inspection.authority.gss_code == "E06000017"
    assert inspection.kind == "cra_unannounced"
    assert inspection.letter_date == datetime.date(2011, 6, 9)
    assert (inspection.start_date, inspection.end_date) == (
        datetime.date(2011, 5, 10),
        datetime.date(2011, 5, 11),
    )
    assert inspection.lead_inspector == "Wendy Ghaffar"
    assert kinds_of(inspection) == {"strength": 0, "meets_requirements": 13, "area_for_improvement": 5}
    assert not inspection.judgements.exists()
    orders = list(inspection.findings.values_list("order", flat=True))
    assert orders == list(range(1, len(orders) + 1))
    assert inspection.source_file.read() == RUTLAND_2011.read_bytes()


def test_rutland_2016_sif_reads_every_judgement_and_its_recommendations():
    inspection = ingest(RUTLAND_2016)
    assert inspection.kind == "sif"
    assert inspection.published_date == datetime.date(2017, 2, 13)
    assert dict(inspection.judgements.values_list("area", "grade")) == {
        "overall_effectiveness": "requires_improvement",
        "help_and_protection": "requires_improvement",
        "in_care": "requires_improvement",
        "adoption": "requires_improvement",
        "care_leavers": "good",
        "leadership": "requires_improvement",
        "lscb": "good",
    }
    recommendations = inspection.findings.filter(kind="recommendation")
    assert recommendations.filter(area="lscb").count() == 3
    assert recommendations.exclude(area="lscb").count() == 17


def test_the_same_file_again_is_a_no_op():
    first = ingest(RUTLAND_2011)
    counts = (Inspection.objects.count(), Finding.objects.count())
    with pytest.raises(AlreadyIngested) as duplicate:
        ingest(RUTLAND_2011)
    assert duplicate.value.inspection == first
    assert (Inspection.objects.count(), Finding.objects.count()) == counts


def test_a_failure_part_way_leaves_nothing_behind(monkeypatch, media_root):
    def fail(findings):
        raise RuntimeError("the database went away while tagging")

    monkeypatch.setattr(services, "tag_findings", fail)
    with pytest.raises(RuntimeError):
        ingest(RUTLAND_2016)
    assert not Inspection.objects.exists() and not Judgement.objects.exists() and not Finding.objects.exists()
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_reparse_replaces_findings_and_judgements_but_keeps_corrections():
    inspection = ingest(RUTLAND_2016)
    count = inspection.findings.count()
    inspection.findings.filter(order=1).update(text="edited by hand")
    inspection.judgements.filter(area="lscb").delete()
    corrected = datetime.date(2016, 11, 15)
    Inspection.objects.filter(pk=inspection.pk).update(start_date=corrected)
    inspection.refresh_from_db()

    changes = inspection_reparse(inspection=inspection)

    inspection.refresh_from_db()
    assert inspection.findings.count() == count
    assert not inspection.findings.filter(text="edited by hand").exists()
    assert inspection.judgements.filter(area="lscb", grade="good").exists()
    assert inspection.start_date == corrected
    assert "judgements" in changes


def test_ingest_command_loads_the_seeds_once_then_reports_them_unchanged(capsys):
    call_command("ingest", SEEDS, no_progress=True)
    first = capsys.readouterr().out
    assert "Ingested 5, re-parsed 0, unchanged 0, refused 0" in first
    findings = Finding.objects.count()
    call_command("ingest", SEEDS, no_progress=True)
    assert (
        "Ingested 0, re-parsed 0, unchanged 5, refused 0, skipped 0; 0 findings written"
        in capsys.readouterr().out
    )
    call_command("ingest", SEEDS, reparse=True, no_progress=True)
    assert "re-parsed 5" in capsys.readouterr().out
    assert Finding.objects.count() == findings


def parse_report_command(path):
    return subprocess.run(
        [sys.executable, "manage.py", "parse_report", str(path), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(),
    )


def test_parse_report_prints_exactly_the_contract():
    result = parse_report_command(RUTLAND_2011)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report) == ["source", "authority", "inspection", "judgements", "findings"]
    assert list(report["source"]) == ["filename", "sha256", "pages", "format"]
    assert report["source"]["format"] == "text" and report["source"]["pages"] is None
    assert report["authority"] == {
        "name": "Rutland County Council",
        "slug": "rutland",
        "gss_code": "E06000017",
    }
    assert list(report["inspection"]) == [
        "kind", "title", "start_date", "end_date", "published_date", "letter_date", "lead_inspector",
    ]  # fmt: skip
    assert (
        report["inspection"]["start_date"] == "2011-05-10"
        and report["inspection"]["letter_date"] == "2011-06-09"
    )
    assert report["judgements"] == []
    finding = report["findings"][0]
    assert list(finding) == ["kind", "section", "area", "order", "page", "number", "text", "themes"]
    assert [f["order"] for f in report["findings"]] == list(range(1, len(report["findings"]) + 1))


@pytest.mark.parametrize(
    ("filename", "data"),
    [(path.name, path.read_bytes()) for path in sorted(SEEDS.glob("*.txt"))]
    + [("cornwall.pdf", text_pdf((SEEDS / "cornwall-2011-contact-referral-assessment.txt").read_text()))],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_the_contract_rebuilds_what_the_parser_read(filename, data):
    """A staged upload is published from its contract JSON: nothing the parser read may be lost on the way."""
    report = parse_report(data, filename)
    for order, finding in enumerate(report.findings):
        finding.themes = ["supervision", "care-leavers"][: order % 3]
    contract = json.loads(json.dumps(report_as_contract(report, None)))  # as a JSON column keeps it
    rebuilt = report_from_contract(
        contract, authority_name=report.authority_name, text=report.text, warnings=report.warnings
    )
    assert rebuilt == report


def test_parse_report_gives_each_numbered_paragraph_its_printed_number(tmp_path):
    from .parsing.test_ilacs import REPORT

    path = tmp_path / "exampleshire.txt"
    path.write_text(REPORT)
    result = parse_report_command(path)
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [f["number"] for f in findings] == [None, None, None, None, 1, 2, 3, 4, 5]
    assert findings[5]["text"] == "Strategy meetings are held when they are needed. They are well attended."


def test_parse_report_refuses_with_one_line_on_stderr(tmp_path):
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"<html><body>Report not found</body></html>")
    result = parse_report_command(bad)
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "web page (HTML)" in result.stderr


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason=CORPUS_MISSING)
def test_every_dev_report_ingests_with_its_authority_and_dates(capsys):
    call_command("ingest", CORPUS / "dev", no_progress=True)
    out = capsys.readouterr().out
    assert "Ingested 322, re-parsed 0, unchanged 0, refused 0, skipped 1" in out
    assert f"skipped {CORPUS / 'dev' / 'MANIFEST.csv'}: not a report file" in out
    assert not Inspection.objects.filter(start_date__isnull=True).exists()
    assert not Inspection.objects.filter(authority__isnull=True).exists()
    # ILACS paragraphs are stored with their printed numbers, 1..N in report order
    for inspection in Inspection.objects.filter(kind="ilacs"):
        numbers = list(
            inspection.findings.exclude(number=None).order_by("order").values_list("number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1)), inspection
    graded = Inspection.objects.filter(kind__in=["ilacs", "sif", "lac_2012"])
    assert all(inspection.judgements.exists() for inspection in graded)
    ungraded = Inspection.objects.filter(kind__in=["focused_visit", "jtai", "monitoring_visit"])
    assert not Judgement.objects.filter(inspection__in=ungraded).exists()
