import argparse
import json

from django.core.management.base import BaseCommand

from inspections.perf.benchmark import run_bench, serve_and_measure


class Command(BaseCommand):
    help = (
        "Time the pages' query mix (searches with facets and highlights, browsing, a deep page, the CSV "
        "export, the authority and inspection pages), warm and cold, beside the GIN floor and SQLite "
        "FTS5, and print one table with the targets met or missed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20, help="Warm runs of each request (default 20).")
        parser.add_argument("--cold-runs", type=int, default=3, help="Cold runs of each request (default 3).")
        parser.add_argument("--no-sqlite", action="store_true", help="Leave out the SQLite FTS5 column.")
        parser.add_argument("--only", default="", help="Only the requests whose name contains this.")
        parser.add_argument("--child", help=argparse.SUPPRESS)  # the serving process, run by the bench

    def handle(self, *args, runs, cold_runs, no_sqlite, only, child, **options):
        if child:
            self.stdout.write(json.dumps(serve_and_measure(json.loads(child))))
            return
        table = run_bench(
            warm_runs=runs, cold_runs=cold_runs, sqlite=not no_sqlite, only=only, log=self.stderr.write
        )
        self.stdout.write(table)
