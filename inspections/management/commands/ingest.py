import sys
import time
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from inspections.authority_names import AuthorityMatcher
from inspections.models import Authority, Inspection
from inspections.parsing import ReportRefused, read_report_file
from inspections.services import AlreadyIngested, inspection_reparse, report_ingest

REPORT_SUFFIXES = {".pdf", ".txt", ".md"}


def report_files(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The report files among the paths, folders searched recursively, in a stable order, and the
    files in those folders that are not of a report's type (a manifest, a spreadsheet), skipped.
    A file named on its own is always tried: it is refused with a reason if it is no report."""
    files, skipped = [], []
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                (files if found.suffix.lower() in REPORT_SUFFIXES else skipped).append(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"No such file or folder: {path}")
    return files, skipped


class Command(BaseCommand):
    help = (
        "Add report files (PDF, .txt, .md; folders searched recursively) to the archive. Each file is "
        "stored whole or not at all; a file already in the archive is skipped as unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="Report files or folders.")
        parser.add_argument(
            "--reparse",
            action="store_true",
            help="Re-read stored sources with the current parser (all of them when no paths are given), "
            "replacing their findings and judgements.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, paths: list[Path], reparse: bool, no_progress: bool, **options):
        if not paths and not reparse:
            raise CommandError(
                "Give one or more report files or folders (or --reparse alone to re-read all)."
            )
        started = time.perf_counter()
        counts: Counter[str] = Counter()
        refusals: list[tuple[str, str]] = []
        matcher = AuthorityMatcher(Authority.objects.all())

        skipped: list[Path] = []
        if paths:
            files, skipped = report_files(paths)
            for path in tqdm(files, desc="Ingesting", unit="file", disable=no_progress, file=sys.stderr):
                status, detail = self._ingest_one(path, reparse, matcher)
                counts[status] += 1
                if status == "refused":
                    refusals.append((str(path), detail))
                elif status in ("ingested", "reparsed"):
                    counts["findings"] += detail
        else:
            inspections = Inspection.objects.exclude(source_file="").order_by("pk")
            for inspection in tqdm(
                inspections, desc="Re-parsing", unit="file", disable=no_progress, file=sys.stderr
            ):
                try:
                    inspection_reparse(inspection=inspection)
                except (ReportRefused, OSError) as error:
                    counts["refused"] += 1
                    refusals.append((inspection.source_filename, str(error)))
                    continue
                counts["reparsed"] += 1
                counts["findings"] += inspection.findings.count()

        elapsed = time.perf_counter() - started
        processed = sum(counts[key] for key in ("ingested", "reparsed", "unchanged", "refused"))
        self.stdout.write(
            f"Ingested {counts['ingested']}, re-parsed {counts['reparsed']}, unchanged {counts['unchanged']}, "
            f"refused {counts['refused']}, skipped {len(skipped)}; {counts['findings']} findings written; "
            f"{processed / elapsed if elapsed else 0:.1f} reports/s ({elapsed:.1f} s)."
        )
        for path in skipped:
            self.stdout.write(
                f"  skipped {path}: not a report file (only {', '.join(sorted(REPORT_SUFFIXES))})"
            )
        for name, reason in refusals:
            self.stdout.write(f"  refused {name}: {reason}")
        if refusals:
            raise CommandError(f"{len(refusals)} file(s) refused: see the reasons above.")

    def _ingest_one(self, path: Path, reparse: bool, matcher: AuthorityMatcher) -> tuple[str, object]:
        try:
            data = read_report_file(path)
        except OSError as error:
            return "refused", f"cannot be read ({error.strerror or error})"
        except ReportRefused as refusal:
            return "refused", str(refusal)
        try:
            inspection = report_ingest(data=data, filename=path.name, matcher=matcher)
        except AlreadyIngested as duplicate:
            if not reparse:
                return "unchanged", duplicate.inspection
            inspection_reparse(inspection=duplicate.inspection)
            return "reparsed", duplicate.inspection.findings.count()
        except ReportRefused as refusal:
            return "refused", str(refusal)
        return "ingested", inspection.findings.count()
