"""The project's own PostgreSQL: started on first use, shared by processes, overridden by DATABASE_URL."""

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from inspections.embedded_postgres import running_server, stop_server

from .conftest import ROOT, child_environment, python
from .test_faults import fetch, free_port

EMBEDDED = settings.DATABASES["default"]["ENGINE"] == "inspections.embedded_postgres"
needs_embedded = pytest.mark.skipif(not EMBEDDED, reason="DATABASE_URL is set: the tests use that server")


def manage(*args, env=None):
    environment = child_environment(**(env or {}))
    if env and env.get("DATABASE_URL") is None:
        environment.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_embedded
def test_a_second_process_reuses_the_running_server_and_leaves_it_running(db):
    connection.ensure_connection()
    server = running_server(settings.DATABASES["default"]["OPTIONS"]["pgdata"])
    assert server is not None

    result = manage("pgserver", "status")

    assert result.returncode == 0, result.stderr
    assert f"pid {server.pid}" in result.stdout
    still_running = running_server(settings.DATABASES["default"]["OPTIONS"]["pgdata"])
    assert still_running is not None and still_running.pid == server.pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@needs_embedded
def test_database_url_switches_every_command_to_that_server(db):
    connection.ensure_connection()
    server = running_server(settings.DATABASES["default"]["OPTIONS"]["pgdata"])
    # The embedded server stands in for "a real server" here: reached by URL, not by the embedded backend.
    url = (
        f"postgres://postgres@/{connection.settings_dict['NAME']}?host={server.socket_dir}&port={server.port}"
    )
    code = (
        "from django.db import connection; from inspections.models import Authority; "
        "print(connection.settings_dict['ENGINE'], connection.settings_dict['NAME'], Authority.objects.count())"
    )

    result = manage("shell", "--no-imports", "-c", code, env={"DATABASE_URL": url})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", connection.settings_dict["NAME"], "161"]
    refused = manage("pgserver", "status", env={"DATABASE_URL": url})
    assert refused.returncode != 0
    assert "DATABASE_URL is set" in refused.stderr


def test_a_new_data_folder_gets_a_postgresql_18_cluster_that_stops_when_its_last_user_exits(tmp_path):
    pgdata = tmp_path / "pgdata"
    code = (
        "import sys; from inspections.embedded_postgres import ensure_server; import psycopg; "
        f"s = ensure_server({str(pgdata)!r}); "
        "c = psycopg.connect(host=s.socket_dir, port=s.port, user='postgres', dbname='postgres'); "
        "print(c.execute('SHOW server_version_num').fetchone()[0], s.pid); "
        "print(c.execute(\"SELECT count(*) FROM pg_available_extensions WHERE name IN ('pg_trgm', 'unaccent')\")"
        ".fetchone()[0]); c.close()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180
    )

    assert result.returncode == 0, result.stderr
    version_line, extensions = result.stdout.split("\n")[:2]
    assert version_line.split()[0].startswith("18")
    assert extensions == "2"
    assert (pgdata / "PG_VERSION").read_text().strip() == "18"
    assert running_server(pgdata) is None  # stopped cleanly when the process exited


def test_a_user_killed_outright_does_not_keep_the_server_running_after_the_last_one_leaves():
    folder = Path(tempfile.mkdtemp(prefix="archive-test-users-"))  # not tmp_path: see the next test
    pgdata = folder / "pgdata"
    join = f"from inspections.embedded_postgres import ensure_server; ensure_server({str(pgdata)!r})"
    try:
        killed = python("-c", f"{join}; import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
                        env=child_environment(), timeout=180)  # fmt: skip
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert running_server(pgdata) is not None  # it never left: no exit handler ran

        last = python("-c", join, env=child_environment(), timeout=120)

        assert last.returncode == 0, last.stderr
        assert running_server(pgdata) is None  # the killed one forgotten, the last one out stopped it
    finally:
        if running_server(pgdata):
            stop_server(pgdata)
        shutil.rmtree(folder, ignore_errors=True)


def test_pgserver_reports_and_stops_a_server_without_starting_one(own_server):
    pgdata, env = own_server
    embedded = {key: value for key, value in env.items() if key != "DATABASE_URL"} | {
        "EMBEDDED_PGDATA": str(pgdata)
    }

    def pgserver(action):
        return python("manage.py", "pgserver", action, env=embedded, timeout=120)

    running = pgserver("status")
    assert f"pid {running_server(pgdata).pid}" in running.stdout, running.stderr
    stopped = pgserver("stop")
    assert "has stopped" in stopped.stdout and "killing" not in stopped.stderr, stopped.stderr
    status = pgserver("status")
    assert "not running" in status.stdout, status.stderr
    assert running_server(pgdata) is None  # asking did not start it again


def test_sigterm_to_the_served_site_stops_the_embedded_server_it_started():
    """A service manager, `kill` or a container stopping ends `up` with SIGTERM: the server it started
    stops with it, as on Ctrl-C, rather than running on until `pgserver stop`."""
    # Not under pytest's tmp_path (private to root): the server runs as its own unprivileged user.
    folder = Path(tempfile.mkdtemp(prefix="archive-test-up-"))
    pgdata, log_path, port = folder / "pgdata", folder / "up.log", free_port()
    env = {
        "EMBEDDED_PGDATA": str(pgdata),
        "EMBEDDED_DATABASE_NAME": "archive",
        "MEDIA_ROOT": str(folder / "media"),
    }
    environment = {key: value for key, value in child_environment(**env).items() if key != "DATABASE_URL"}
    with log_path.open("w") as log:
        site = subprocess.Popen(
            [sys.executable, "manage.py", "up", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        status, deadline = None, time.monotonic() + 240
        while status is None and site.poll() is None and time.monotonic() < deadline:
            try:
                status = fetch(f"http://127.0.0.1:{port}/")[0]
            except OSError:
                time.sleep(0.5)
        output = log_path.read_text()
        assert status == 200, output
        assert "Database:     migrated, " in output and "Seed reports: 5 ingested, 0 unchanged." in output
        assert f"Serving the site at http://127.0.0.1:{port}/ (Ctrl-C stops it)." in output
        assert f"who uploads reports at http://127.0.0.1:{port}/admin/" in output
        assert running_server(pgdata) is not None

        site.send_signal(signal.SIGTERM)

        assert site.wait(timeout=60) == -signal.SIGTERM  # it still ends as SIGTERM ends a process
        assert running_server(pgdata) is None
        status = manage("pgserver", "status", env=env)
        assert "The embedded server is not running" in status.stdout, status.stderr
    finally:
        if site.poll() is None:
            site.kill()
            site.wait()
        if running_server(pgdata):
            stop_server(pgdata)
        shutil.rmtree(folder, ignore_errors=True)
