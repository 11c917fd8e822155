"""First-run setup for `manage.py`: the project's own virtual environment, made on demand.

Standard library only, and valid on older Pythons, because it runs before anything is installed.
"""

import glob
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".installed-from"
MINIMUM = (3, 12)


def ensure_virtualenv():
    """Re-run this command inside .venv, creating or updating it first where needed.

    Does nothing inside any other virtual environment, or with ARCHIVE_NO_BOOTSTRAP set: then the
    person running it manages their own environment.
    """
    if os.environ.get("ARCHIVE_NO_BOOTSTRAP"):
        return
    in_project_venv = Path(sys.prefix).resolve() == VENV.resolve()
    if sys.prefix != sys.base_prefix and not in_project_venv:
        return
    if not VENV_PYTHON.exists():
        _create_venv()
    if _stamp() != _current_stamp():
        _install()
    if not in_project_venv:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])


def _say(message):
    print(f"[setup] {message}", file=sys.stderr, flush=True)


def _create_venv():
    python = _find_python()
    _say(f"creating the project's Python environment in {VENV} with {python} (first run only)")
    subprocess.run([python, "-m", "venv", str(VENV)], check=True)


def _install():
    _say("installing the project and its dependencies into .venv (first run, or pyproject.toml changed)")
    pip = [str(VENV_PYTHON), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    for command in ([*pip, "install", "--upgrade", "pip"], [*pip, "install", "--editable", f"{ROOT}[dev]"]):
        # pip and setuptools are chatty even when quiet: show their output only when something fails.
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            sys.exit("Installing the project's dependencies failed (see above).")
    STAMP.write_text(_current_stamp())


def _stamp():
    return STAMP.read_text() if STAMP.exists() else ""


def _current_stamp():
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _find_python():
    """A Python 3.12+ interpreter: this one, one on PATH, or one pyenv has installed."""
    if sys.version_info >= MINIMUM:
        return sys.executable
    candidates = [shutil.which(name) for name in ("python3.14", "python3.13", "python3.12")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(
        glob.glob(os.path.join(pyenv_root, "versions", "3.1[2-9]*", "bin", "python3")), reverse=True
    )
    candidates += sorted(glob.glob("/usr/bin/python3.1[2-9]"), reverse=True)
    for candidate in filter(None, candidates):
        check = [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 12))"]
        if subprocess.run(check, capture_output=True).returncode == 0:
            return candidate
    sys.exit("The archive needs Python 3.12 or newer, and none was found. Install it, then run this again.")
