#!/usr/bin/env python3
"""Django's command-line utility for the archive.

Run it with any Python 3: on first use it creates the project's virtual environment (.venv) with
Python 3.12+ and installs the project into it, then carries on inside it.
"""

import os
import sys


def main():
    from inspections.bootstrap import ensure_virtualenv

    ensure_virtualenv()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspections.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
