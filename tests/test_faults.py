"""Faults: the database going away under a running site, and an ingest killed part way."""

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings

from inspections.embedded_postgres import stop_server

from .conftest import ROOT, SEEDS, python, start_server_again

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "inspections.embedded_postgres",
    reason="these tests stop and start a PostgreSQL server of their own, which needs the embedded one",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.monotonic() - started


def post(url: str, data: dict) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_database_restart_gives_a_friendly_503_then_recovers_without_restarting_the_site(own_server):
    pgdata, env = own_server
    port = free_port()
    site = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "inspections.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_ENV": "development", "DEBUG": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/authorities/"
    try:
        for _ in range(50):  # wait for gunicorn to listen
            try:
                status, _, _ = fetch(url)
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200

        # Restarted between two requests: the connection the site kept has died, and the next
        # request is answered at once on a fresh one (read again), not with a 503.
        stop_server(pgdata)
        start_server_again(pgdata)
        assert fetch(url)[0] == 200
        assert fetch(f"http://127.0.0.1:{port}/findings/?q=supervision")[0] == 200
        # A request that writes (asking for an alert) finds its kept connection checked first: not
        # a 503 either.
        stop_server(pgdata)
        start_server_again(pgdata)
        asked = {"email": "reader@example.org", "frequency": "daily"}
        assert post(f"http://127.0.0.1:{port}/alerts/", asked) == 200

        stop_server(pgdata)
        status, body, seconds = fetch(url)
        assert status == 503
        assert "briefly unavailable" in body
        assert seconds < 10  # fails fast, not after a long hang

        start_server_again(pgdata)
        deadline = time.monotonic() + 20
        while (status := fetch(url)[0]) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status == 200
        assert site.poll() is None  # the same web process served throughout
    finally:
        site.send_signal(signal.SIGTERM)
        site.wait(timeout=20)


def test_ingest_killed_mid_file_leaves_nothing_and_the_rerun_ingests_once(own_server):
    _, env = own_server
    load = python("manage.py", "loaddata", "fixtures/authorities.json", env=env, timeout=120)
    assert load.returncode == 0, load.stderr
    # Stop the ingest inside its transaction, after the inspection row is written: SIGKILL, no cleanup.
    kill_mid_file = (
        "import os, signal, sys; sys.argv = ['manage.py', 'ingest', sys.argv[1], '--no-progress']; "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'inspections.settings'); import django; django.setup(); "
        "from inspections import services; "
        "services.tag_findings = lambda findings: os.kill(os.getpid(), signal.SIGKILL); "
        "from django.core.management import execute_from_command_line; execute_from_command_line(sys.argv)"
    )
    killed = python("-c", kill_mid_file, str(SEEDS), env=env, timeout=120)
    assert killed.returncode == -signal.SIGKILL

    count = "from inspections.models import Inspection, Finding; print(Inspection.objects.count(), Finding.objects.count())"
    after_kill = python("manage.py", "shell", "--no-imports", "-c", count, env=env, timeout=60)
    assert after_kill.stdout.split() == ["0", "0"], after_kill.stderr

    rerun = python("manage.py", "ingest", str(SEEDS), "--no-progress", env=env, timeout=120)
    assert "Ingested 5" in rerun.stdout, rerun.stderr
    again = python("manage.py", "ingest", str(SEEDS), "--no-progress", env=env, timeout=120)
    assert "unchanged 5" in again.stdout
    final = python("manage.py", "shell", "--no-imports", "-c", count, env=env, timeout=60)
    assert final.stdout.split()[0] == "5"
