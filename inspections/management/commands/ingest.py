import sys
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from inspections.authority_names import AuthorityMatcher
from inspections.models import Authority, Inspection
from inspections.parsing import ParsedReport, ReportRefused, parse_report, read_report_file
from inspections.services import AlreadyIngested, inspection_reparse, report_ingest, sha256_of

REPORT_SUFFIXES = {".pdf", ".txt", ".md"}
# Files read and parsed ahead of the one being stored, in threads: a PDF's text is extracted in a
# child process, so parsing the next files overlaps storing this one.
READ_AHEAD = 3


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
            known = set(Inspection.objects.values_list("sha256", flat=True))
            prepared = _prepared(files, known)
            for path, data, parsed in tqdm(
                prepared,
                total=len(files),
                desc="Ingesting",
                unit="file",
                disable=no_progress,
                file=sys.stderr,
            ):
                status, detail = self._ingest_one(path, data, parsed, reparse, matcher)
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

        self.counts = counts  # for a command that runs this one (up)
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

    def _ingest_one(
        self, path: Path, data: bytes | None, parsed: ParsedReport | str | None, reparse: bool, matcher
    ) -> tuple[str, object]:
        if data is None:
            return "refused", parsed
        report = parsed if isinstance(parsed, ParsedReport) else None
        try:
            inspection = report_ingest(data=data, filename=path.name, report=report, matcher=matcher)
        except AlreadyIngested as duplicate:
            if not reparse:
                return "unchanged", duplicate.inspection
            inspection_reparse(inspection=duplicate.inspection)
            return "reparsed", duplicate.inspection.findings.count()
        except ReportRefused as refusal:
            return "refused", str(refusal)
        return "ingested", inspection.findings.count()


def _prepared(files: list[Path], known: set[str]) -> Iterator[tuple[Path, bytes | None, object]]:
    """(path, bytes, parsed report) for each file in order, read and parsed a few files ahead; a file
    already in the archive is not parsed (None), an unreadable one comes as (path, None, reason)."""

    def prepare(path: Path):
        try:
            data = read_report_file(path)
            return path, data, None if sha256_of(data) in known else parse_report(data, path.name)
        except OSError as error:
            return path, None, f"cannot be read ({error.strerror or error})"
        except ReportRefused as refusal:
            return path, None, str(refusal)

    with ThreadPoolExecutor(max_workers=READ_AHEAD) as pool:
        pending = deque()
        for path in files:
            pending.append(pool.submit(prepare, path))
            if len(pending) > READ_AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
