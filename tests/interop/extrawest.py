"""Start the independent ``extrawest-ocpi`` library as a foreign OCPI CPO for interop tests.

This module runs inside roamkit's own virtual environment: it must never import
``py_ocpi`` (extrawest-ocpi) or pydantic v1. The library lives in a separate virtual
environment (``$ROAMKIT_EXTRAWEST_VENV``, default ``<repo>/.venv-extrawest``) and is driven
through the standalone script ``extrawest_cpo.py`` next to this file.

Usage::

    from .extrawest import ensure_extrawest_venv, run_extrawest_cpo, unavailable_reason

    if ensure_extrawest_venv() is None:
        pytest.skip(unavailable_reason())
    with run_extrawest_cpo("my-token-a", locations=5) as node:
        node.versions_url   # http://127.0.0.1:PORT/ocpi/versions
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "EXTRAWEST_REQUIREMENTS",
    "ExtrawestNode",
    "ExtrawestUnavailableError",
    "default_venv_path",
    "ensure_extrawest_venv",
    "run_extrawest_cpo",
    "unavailable_reason",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().with_name("extrawest_cpo.py")

#: What goes into the extrawest venv. The deviations in README.md were observed on this
#: exact release; bump deliberately.
EXTRAWEST_REQUIREMENTS: tuple[str, ...] = ("extrawest-ocpi==2025.7.16", "uvicorn>=0.30,<1")

#: Environment knobs.
VENV_ENV = "ROAMKIT_EXTRAWEST_VENV"  # where the venv lives
PYTHON_ENV = "ROAMKIT_EXTRAWEST_PYTHON"  # base interpreter for creating it (default: ours)
NO_INSTALL_ENV = "ROAMKIT_EXTRAWEST_NO_INSTALL"  # "1": never create/pip-install, just skip

_INSTALL_TIMEOUT = 900.0
#: Environment variables py_ocpi's pydantic ``Settings`` reads (case-sensitive).
_PY_OCPI_SETTINGS = frozenset(
    {
        "ENVIRONMENT",
        "NO_AUTH",
        "PROJECT_NAME",
        "BACKEND_CORS_ORIGINS",
        "OCPI_HOST",
        "OCPI_PREFIX",
        "PUSH_PREFIX",
        "COUNTRY_CODE",
        "PARTY_ID",
        "PROTOCOL",
        "COMMAND_AWAIT_TIME",
        "GET_ACTIVE_PROFILE_AWAIT_TIME",
        "TRAILING_SLASH",
        "CI_STRING_LOWERCASE_PREFERENCE",
    }
)
_state: dict[str, object] = {}


class ExtrawestUnavailableError(RuntimeError):
    """The extrawest venv cannot be provided (tests should skip)."""


@dataclass
class ExtrawestNode:
    """A running extrawest-ocpi CPO."""

    versions_url: str
    token_a: str
    base_url: str
    port: int
    versions: tuple[str, ...]
    country_code: str
    party_id: str
    process: subprocess.Popen[str] = field(repr=False)
    log_path: Path = field(repr=False)

    def version_details_url(self, version: str | None = None) -> str:
        """URL of the version details endpoint (``/ocpi/<version>/details``)."""
        return f"{self.base_url}/ocpi/{version or self.versions[0]}/details"

    def module_url(self, module: str, version: str | None = None) -> str:
        """Sender/receiver URL of a module, as published in version details (trailing slash)."""
        return f"{self.base_url}/ocpi/cpo/{version or self.versions[0]}/{module}/"

    def logs(self) -> str:
        """Everything the node wrote to stderr so far (library + uvicorn logs)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# --------------------------------------------------------------------------- venv


def default_venv_path() -> Path:
    return Path(os.environ.get(VENV_ENV) or REPO_ROOT / ".venv-extrawest")


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _probe(python: Path) -> str | None:
    """None if the interpreter can import the library and uvicorn, else why not."""
    if not python.exists():
        return f"{python} does not exist"
    try:
        proc = subprocess.run(
            [str(python), "-c", "import py_ocpi, uvicorn; print(py_ocpi.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot run {python}: {exc}"
    if proc.returncode != 0:
        return f"{python} cannot import py_ocpi/uvicorn: {proc.stderr.strip()[-500:]}"
    return None


def _run(cmd: list[str], timeout: float) -> str | None:
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{' '.join(cmd)} failed: {exc}"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-1500:]
        return f"{' '.join(cmd)} exited {proc.returncode}: {tail}"
    return None


def _create(venv: Path) -> str | None:
    base = os.environ.get(PYTHON_ENV) or sys.executable
    if venv.exists() and not _venv_python(venv).exists():
        shutil.rmtree(venv)  # a broken leftover, not a venv
    if not venv.exists():
        error = _run([base, "-m", "venv", str(venv)], timeout=300)
        if error:
            return error
    python = str(_venv_python(venv))
    return _run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            *EXTRAWEST_REQUIREMENTS,
        ],
        timeout=_INSTALL_TIMEOUT,
    )


def ensure_extrawest_venv() -> Path | None:
    """Make sure the extrawest venv exists and works; return its python interpreter.

    Creates the venv (``$ROAMKIT_EXTRAWEST_VENV``, default ``<repo>/.venv-extrawest``) and
    pip-installs :data:`EXTRAWEST_REQUIREMENTS` when needed. Returns ``None`` when that is not
    possible (offline, ``ROAMKIT_EXTRAWEST_NO_INSTALL=1``, ...); :func:`unavailable_reason`
    then says why. The outcome is cached for the process; creation is guarded by a file lock
    so concurrent test processes do not install twice.
    """
    if "python" in _state:
        return _state["python"]  # type: ignore[return-value]
    venv = default_venv_path()
    python = _venv_python(venv)
    reason = _probe(python)
    if reason is not None:
        if os.environ.get(NO_INSTALL_ENV) == "1":
            reason = f"{reason} (and {NO_INSTALL_ENV}=1 forbids installing)"
        else:
            venv.parent.mkdir(parents=True, exist_ok=True)
            lock_path = venv.parent / f".{venv.name}.lock"
            with open(lock_path, "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    reason = _probe(python)
                    if reason is not None:
                        reason = _create(venv) or _probe(python)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
    _state["python"] = None if reason else python
    _state["reason"] = reason
    return _state["python"]  # type: ignore[return-value]


def unavailable_reason() -> str | None:
    """Why :func:`ensure_extrawest_venv` returned None (None if it did not)."""
    return _state.get("reason")  # type: ignore[return-value]


# --------------------------------------------------------------------------- process


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


@contextlib.contextmanager
def run_extrawest_cpo(
    token_a: str,
    locations: int = 0,
    version: str = "2.2.1",
    *,
    country_code: str = "NL",
    party_id: str = "EXW",
    fix_links: bool = False,
    debug: bool = False,
    startup_timeout: float = 30.0,
) -> Iterator[ExtrawestNode]:
    """Run extrawest-ocpi as a CPO on 127.0.0.1 for the duration of the ``with`` block.

    ``version`` is ``"2.2.1"``, ``"2.1.1"`` or ``"2.2.1,2.1.1"`` (both). ``locations`` seeds N
    deterministic locations (2 EVSEs x 2 connectors each) plus two tariffs. ``fix_links``
    rewrites the library's unusable pagination ``Link`` header (see README.md); leave it off
    to test against the library as it really behaves.

    The port is chosen by the child itself (it binds port 0 before importing the library),
    so there is no pick-then-bind race. The process is terminated on exit, also when the
    block raises; the child additionally exits by itself if its parent dies.

    Raises :class:`ExtrawestUnavailableError` when the venv cannot be provided and
    :class:`RuntimeError` when the node does not come up within ``startup_timeout`` s.
    """
    python = ensure_extrawest_venv()
    if python is None:
        raise ExtrawestUnavailableError(unavailable_reason() or "extrawest venv unavailable")

    workdir = Path(tempfile.mkdtemp(prefix="roamkit-extrawest-"))
    log_path = workdir / "extrawest.log"
    cmd = [
        str(python),
        "-u",
        str(SCRIPT),
        "--port",
        "0",
        "--token-a",
        token_a,
        "--locations",
        str(locations),
        "--version",
        version,
        "--country-code",
        country_code,
        "--party-id",
        party_id,
    ]
    if fix_links:
        cmd.append("--fix-links")
    if debug:
        cmd.append("--debug")

    # The child sets py_ocpi's settings itself; keep stray ones out of its environment.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _PY_OCPI_SETTINGS and not k.startswith("PYTHON")
    }
    loopback = "127.0.0.1,localhost,::1"
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = f"{env[key]},{loopback}" if env.get(key) else loopback
    env["PYTHONUNBUFFERED"] = "1"

    log_file = open(log_path, "w")  # noqa: SIM115 - closed in finally
    proc: subprocess.Popen[str] | None = None
    try:
        # cwd is an empty temp dir: py_ocpi's settings would also read a ./.env
        proc = subprocess.Popen(
            cmd,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = proc.stdout
        assert stdout is not None

        def pump() -> None:
            with contextlib.suppress(ValueError, OSError):  # closed by _stop()
                for line in stdout:
                    lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, name="extrawest-stdout", daemon=True).start()

        versions_url = None
        deadline = time.monotonic() + startup_timeout
        while versions_url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(
                    f"extrawest CPO not READY within {startup_timeout}s:\n"
                    f"{log_path.read_text(errors='replace')[-3000:]}"
                )
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                proc.wait(timeout=5)
                raise RuntimeError(
                    f"extrawest CPO exited with {proc.returncode} before READY:\n"
                    f"{log_path.read_text(errors='replace')[-3000:]}"
                )
            if line.startswith("READY "):
                versions_url = line.split(None, 1)[1].strip()

        base_url = versions_url.removesuffix("/ocpi/versions")
        yield ExtrawestNode(
            versions_url=versions_url,
            token_a=token_a,
            base_url=base_url,
            port=int(base_url.rsplit(":", 1)[1]),
            versions=tuple(v.strip() for v in version.split(",") if v.strip()),
            country_code=country_code,
            party_id=party_id,
            process=proc,
            log_path=log_path,
        )
    finally:
        if proc is not None:
            _stop(proc)
        log_file.close()
        shutil.rmtree(workdir, ignore_errors=True)
