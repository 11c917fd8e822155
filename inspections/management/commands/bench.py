import argparse
import json

from django.core.management.base import BaseCommand

from inspections.perf.benchmark import run_bench, serve_and_measure
from inspections.search.ordering import SORTS


class Command(BaseCommand):
    help = (
        "Time the pages' query mix (searches with facets and highlights, browsing, a deep page, the CSV "
        "export, the authority and inspection pages), warm and cold, beside the GIN floor and SQLite "
        "FTS5, and each search over HTTP beside Datasette; print the tables with the targets met or missed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20, help="Warm runs of each request (default 20).")
        parser.add_argument("--cold-runs", type=int, default=3, help="Cold runs of each request (default 3).")
        parser.add_argument("--no-sqlite", action="store_true", help="Leave out the SQLite FTS5 column.")
        parser.add_argument(
            "--no-datasette", action="store_true", help="Leave out the comparison with Datasette over HTTP."
        )
        parser.add_argument(
            "--http-runs", type=int, default=0, help="Runs of each request over HTTP (default: as --runs)."
        )
        parser.add_argument(
            "--api-sort",
            choices=list(SORTS),
            default="",
            help="Ask our JSON API for a text search in this order beside Datasette (newest: unranked, as "
            "Datasette lists a search; default: the API's own, the most relevant first).",
        )
        parser.add_argument("--only", default="", help="Only the requests whose name contains this.")
        parser.add_argument("--child", help=argparse.SUPPRESS)  # the serving process, run by the bench

    def handle(
        self, *args, runs, cold_runs, no_sqlite, no_datasette, http_runs, api_sort, only, child, **options
    ):
        if child:
            self.stdout.write(json.dumps(serve_and_measure(json.loads(child))))
            return
        table = run_bench(
            warm_runs=runs,
            cold_runs=cold_runs,
            sqlite=not no_sqlite,
            datasette=not no_datasette,
            http_runs=http_runs,
            api_sort=api_sort,
            only=only,
            log=self.stderr.write,
        )
        self.stdout.write(table)
