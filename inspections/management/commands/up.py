from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from inspections.models import Inspection, Theme
from inspections.parsing import PARSER_VERSION
from inspections.services import inspection_reparse
from inspections.themes import retag_archive

FIXTURES = settings.BASE_DIR / "fixtures"
SEEDS = FIXTURES / "seeds"


class Command(BaseCommand):
    help = (
        "Bring the archive up: migrate the database, load the reference authorities and themes, "
        "ingest the seed reports (once), and serve the site."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Where to serve the site.")
        parser.add_argument("--no-serve", action="store_true", help="Set everything up, then stop.")

    def handle(self, *args, addrport: str, no_serve: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("loaddata", FIXTURES / "authorities.json", verbosity=0)  # reference data: kept current
        if not Theme.objects.exists():
            # The themes' rules are staff's to edit: load them only into an empty table, never over edits.
            call_command("loaddata", FIXTURES / "themes.json", verbosity=0)
            retag_archive()
        outdated = Inspection.objects.exclude(parser_version=PARSER_VERSION).exclude(source_file="")
        for inspection in outdated:
            inspection_reparse(inspection=inspection)
        if outdated:
            self.stdout.write(f"Re-read {len(outdated)} report(s) with the current parser.")
        call_command("ingest", SEEDS, no_progress=True)
        self.stdout.write(f"The archive holds {Inspection.objects.count()} inspections.")
        if not no_serve:
            self.stdout.write(f"Serving it at http://{addrport}/ (Ctrl-C stops it).")
            call_command("runserver", addrport, use_reloader=False)
