import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run every test: the pytest suite, which also checks ruff lint and formatting and that no "
        "migration is missing. Arguments are passed to pytest."
    )

    def run_from_argv(self, argv):
        # pytest runs in a fresh process, so that it sets Django up itself.
        os.execv(sys.executable, [sys.executable, "-m", "pytest", *argv[2:]])
