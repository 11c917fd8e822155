"""A load test: gunicorn on loopback, hammered by wrk with a mix of real requests, then stopped.

    python manage.py loadtest                      # 50 clients for 60 s
    python manage.py loadtest --clients 20 --duration 15
    python manage.py loadtest --cold               # from an empty page cache, no warm-up pass

The work is done in inspections/perf/loadtest.py.
"""

from django.core.management.base import BaseCommand, CommandError

from inspections.perf.loadtest import LoadTestError, run_load_test


class Command(BaseCommand):
    help = "Load-test the site: gunicorn on loopback, wrk with a realistic request mix; prints the figures."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=50, help="Concurrent connections (default 50).")
        parser.add_argument("--duration", type=int, default=60, help="Seconds of load (default 60).")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3).")
        parser.add_argument(
            "--cold",
            action="store_true",
            help="Start from an empty page cache, without asking each request once first.",
        )

    def handle(self, *args, clients: int, duration: int, workers: int, cold: bool, **options):
        try:
            run_load_test(
                clients=clients, duration=duration, workers=workers, cold=cold, log=self.stdout.write
            )
        except LoadTestError as error:
            raise CommandError(str(error)) from error
