"""Measure the parser over a whole folder of reports, writing nothing.

    python manage.py corpus_report ../shared/corpus/dev

Prints, per inspection kind: reports, refused, authority matched, dated, graded areas, findings by
kind, ILACS numbered paragraphs against the highest paragraph number, themed share and throughput.
Use it to judge every parser change against the whole corpus, not the file in front of you.
"""

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand

from inspections.authority_names import AuthorityMatcher
from inspections.choices import FindingKind
from inspections.models import Authority
from inspections.parsing import ReportRefused, parse_file
from inspections.themes import themes_for_texts

from .ingest import report_files


@dataclass
class KindFigures:
    reports: int = 0
    matched: int = 0
    dated: int = 0
    with_inspector: int = 0
    graded_areas: int = 0
    graded_reports: int = 0
    findings: Counter = field(default_factory=Counter)
    themed: int = 0
    paragraphs: int = 0
    highest_numbers: int = 0
    paragraph_mismatches: list = field(default_factory=list)


class Command(BaseCommand):
    help = "Parse every report in a folder without writing, and print accuracy figures per kind."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--details", action="store_true", help="List every problem report by name.")

    def handle(self, *args, paths: list[Path], details: bool, **options):
        matcher = AuthorityMatcher(Authority.objects.all())
        files, _ = report_files(paths)
        figures: dict[str, KindFigures] = defaultdict(KindFigures)
        refused: list[tuple[Path, str]] = []
        problems: list[str] = []
        parse_seconds = 0.0
        for path in files:
            started = time.perf_counter()
            try:
                report = parse_file(path)
            except ReportRefused as refusal:
                refused.append((path, str(refusal)))
                continue
            finally:
                parse_seconds += time.perf_counter() - started
            kind = figures[report.kind]
            kind.reports += 1
            when = report.start_date or report.letter_date or report.published_date
            if matcher.match(report.authority_name, on=when):
                kind.matched += 1
            else:
                problems.append(f"{path.name}: authority not matched (read as '{report.authority_name}')")
            if report.start_date and report.end_date:
                kind.dated += 1
            else:
                problems.append(f"{path.name}: no inspection dates")
            kind.with_inspector += bool(report.lead_inspector)
            kind.graded_areas += len(report.judgements)
            kind.graded_reports += bool(report.judgements)
            kind.findings.update(finding.kind for finding in report.findings)
            kind.themed += sum(1 for themes in themes_for_texts(report.findings) if themes)
            numbers = [finding.number for finding in report.findings if finding.number is not None]
            if numbers:
                kind.paragraphs += len(numbers)
                kind.highest_numbers += max(numbers)
                if sorted(numbers) != list(range(1, max(numbers) + 1)):
                    kind.paragraph_mismatches.append(path.name)
                    problems.append(
                        f"{path.name}: {len(numbers)} numbered paragraphs, highest {max(numbers)}"
                    )

        self._print(figures, refused, len(files), parse_seconds)
        if details and problems:
            self.stdout.write("\nProblems:")
            for problem in problems:
                self.stdout.write(f"  {problem}")

    def _print(self, figures, refused, total, parse_seconds):
        write = self.stdout.write
        header = (
            f"{'kind':<22}{'reports':>8}{'matched':>8}{'dated':>7}{'inspector':>10}{'graded':>7}{'areas':>6}"
        )
        write(header + "".join(f"{kind.value[:10]:>11}" for kind in FindingKind) + f"{'themed':>8}")
        for name, kind in sorted(figures.items()):
            total_findings = sum(kind.findings.values())
            themed = f"{kind.themed / total_findings:.0%}" if total_findings else "-"
            write(
                f"{name:<22}{kind.reports:>8}{kind.matched:>8}{kind.dated:>7}{kind.with_inspector:>10}"
                f"{kind.graded_reports:>7}{kind.graded_areas:>6}"
                + "".join(f"{kind.findings[finding_kind.value]:>11}" for finding_kind in FindingKind)
                + f"{themed:>8}"
            )
        for name, kind in sorted(figures.items()):
            if kind.paragraphs:
                write(
                    f"{name}: {kind.paragraphs} numbered paragraphs read, highest numbers add up to "
                    f"{kind.highest_numbers}; {len(kind.paragraph_mismatches)} report(s) with gaps or repeats"
                )
        write(f"Refused: {len(refused)}")
        for path, reason in refused:
            write(f"  {path.name}: {reason}")
        rate = total / parse_seconds if parse_seconds else 0
        write(f"Parsed {total} files in {parse_seconds:.1f} s ({rate:.1f} reports/s).")
