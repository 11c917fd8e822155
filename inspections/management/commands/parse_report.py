import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from inspections.contract import report_as_contract
from inspections.parsing import ReportRefused, parse_file
from inspections.services import authority_for
from inspections.themes import themes_for_texts


class Command(BaseCommand):
    help = "Parse one report file (PDF, .txt or .md) and print what was read from it, writing nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="Print the JSON of the data contract.")

    def handle(self, *args, file: Path, json: bool, **options):
        try:
            report = parse_file(file)
        except ReportRefused as refusal:
            self._refuse(f"{file.name}: {refusal}")
        except OSError as error:
            self._refuse(f"{file}: cannot be read ({error.strerror or error}).")
        authority = authority_for(report)
        if authority is None:
            self.stderr.write(
                f"{file.name}: the authority '{report.authority_name}' is not in the authority table."
            )
        for finding, themes in zip(report.findings, themes_for_texts(report.findings), strict=True):
            finding.themes = themes
        if json:
            self.stdout.write(_dumps(report_as_contract(report, authority)))
        else:
            self._summary(report, authority)

    def _refuse(self, message: str):
        self.stderr.write(message.replace("\n", " "))
        sys.exit(1)

    def _summary(self, report, authority):
        write = self.stdout.write
        write(f"{report.title}\n  kind: {report.kind}")
        write(
            f"  authority: {authority.name if authority else 'not matched'} (read as '{report.authority_name}')"
        )
        write(
            f"  dates: {report.start_date} to {report.end_date}; letter {report.letter_date}; "
            f"published {report.published_date}"
        )
        write(f"  lead inspector: {report.lead_inspector or '-'}")
        for judgement in report.judgements:
            write(f"  judgement: {judgement.area} = {judgement.grade}")
        for finding in report.findings:
            write(
                f"  [{finding.order}] {finding.kind} p{finding.page or '-'} {finding.section}: {finding.text[:100]}"
            )
        for warning in report.warnings:
            write(f"  warning: {warning}")


def _dumps(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
