import time

from django.core.management.base import BaseCommand, CommandError

from inspections.models import Finding, Theme
from inspections.themes import retag_archive


class Command(BaseCommand):
    help = (
        "Re-tag every finding in the archive with the themes' current rules (after editing them), in one "
        "set-based SQL statement. Only tags that change are written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--theme",
            dest="slugs",
            action="append",
            metavar="SLUG",
            help="Re-tag with this theme only (repeatable; default: every theme).",
        )

    def handle(self, *args, slugs: list[str] | None, **options):
        themes = None
        if slugs:
            themes = Theme.objects.filter(slug__in=slugs)
            missing = set(slugs) - set(themes.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No theme with the slug {', '.join(sorted(missing))}.")
        started = time.perf_counter()
        counts = retag_archive(themes=themes)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Re-tagged {Finding.objects.count()} findings with "
            f"{themes.count() if themes is not None else Theme.objects.count()} themes in {seconds:.2f} s: "
            f"{counts}."
        )
