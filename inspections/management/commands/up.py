import io

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inspections.management.commands import ingest
from inspections.models import Authority, Finding, Inspection, Theme
from inspections.parsing import PARSER_VERSION
from inspections.services import inspection_reparse
from inspections.themes import retag_archive

FIXTURES = settings.BASE_DIR / "fixtures"
SEEDS = FIXTURES / "seeds"


def site_url(addrport: str) -> str:
    """The address runserver serves addrport at ("8000" alone is 127.0.0.1:8000)."""
    return f"http://{'127.0.0.1:' if addrport.isdigit() else ''}{addrport}/"


class Command(BaseCommand):
    help = (
        "Bring the archive up: migrate the database, load the reference authorities and themes, "
        "ingest the seed reports (once), and serve the site."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Where to serve the site.")
        parser.add_argument("--no-serve", action="store_true", help="Set everything up, then stop.")

    def handle(self, *args, addrport: str, no_serve: bool, **options):
        executor = MigrationExecutor(connection)
        pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
        call_command("migrate", interactive=False, verbosity=0)
        self.say("Database", f"migrated, {pending} migration(s) applied." if pending else "up to date.")

        call_command("loaddata", FIXTURES / "authorities.json", verbosity=0)  # reference data: kept current
        self.say("Authorities", f"{Authority.objects.count()} loaded (reference data, kept current).")

        if Theme.objects.exists():
            # The themes' rules are staff's to edit: load them only into an empty table, never over edits.
            self.say(
                "Themes", f"{Theme.objects.count()} kept as they are (staff may have edited their rules)."
            )
        else:
            call_command("loaddata", FIXTURES / "themes.json", verbosity=0)
            retag_archive()
            self.say("Themes", f"{Theme.objects.count()} loaded, and the archive tagged with them.")

        outdated = Inspection.objects.exclude(parser_version=PARSER_VERSION).exclude(source_file="")
        for inspection in outdated:
            inspection_reparse(inspection=inspection)
        if outdated:
            self.say("Re-read", f"{len(outdated)} report(s) with the current parser.")

        counts = self.ingest_seeds()
        self.say("Seed reports", f"{counts['ingested']} ingested, {counts['unchanged']} unchanged.")
        self.say(
            "The archive", f"{Inspection.objects.count()} inspections, {Finding.objects.count()} findings."
        )

        url = site_url(addrport)
        staff = f"makes a staff user, who uploads reports at {url}admin/"
        if no_serve:
            self.stdout.write(
                f"\nNext:\n  {'python3 manage.py up':<36}serves the site at {url}"
                f"\n  {'python3 manage.py createsuperuser':<36}{staff}"
            )
            return
        self.stdout.write(
            f"\nServing the site at {url} (Ctrl-C stops it).\n"
            f"In another terminal, python3 manage.py createsuperuser {staff}\n"
        )
        call_command("runserver", addrport, use_reloader=False)

    def say(self, what: str, done: str) -> None:
        self.stdout.write(f"{what + ':':<14}{done}")

    def ingest_seeds(self):
        """Ingest the seed reports, their summary said by up; ingest's own output only if one is refused."""
        command, output = ingest.Command(), io.StringIO()
        try:
            call_command(command, SEEDS, no_progress=True, stdout=output)
        except CommandError:
            self.stdout.write(output.getvalue())
            raise
        return command.counts
