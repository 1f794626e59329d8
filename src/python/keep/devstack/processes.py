"""Child processes that never outlive their parent, and a clean way to stop them.

Each child leads its own process group: a terminal's Ctrl-C reaches only the parent, which
then stops the children one by one, in order, with exactly one SIGTERM each (a second signal
arriving while a service is already draining would cut its shutdown short)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence

log = logging.getLogger(__name__)

# Children get SIGTERM when their parent dies (Linux's PR_SET_PDEATHSIG), set by util-linux's
# `setpriv` exec'ing the child. Not with a Python `preexec_fn`: that forces fork() instead of
# vfork(), running Python and every library's atfork handler in the child of a parent that has
# threads (grpc's pollers, OpenTelemetry's exporters); under load the child then aborted
# (SIGABRT) before exec. Without setpriv (macOS) a child outlives a SIGKILLed parent.
_SETPRIV = shutil.which("setpriv") if sys.platform == "linux" else None


def _with_parent_death_signal(argv: Sequence[str]) -> list[str]:
    if _SETPRIV is None:
        return list(argv)
    return [_SETPRIV, "--pdeathsig", "TERM", "--", *argv]


def python_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This interpreter's import path, so children find the same code (also inside a PEX)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def spawn(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    stdout: int | None = None,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        _with_parent_death_signal(argv),
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
        process_group=0,
    )


def spawn_module(
    module: str, env: Mapping[str, str], stdout: int | None = None
) -> subprocess.Popen[bytes]:
    """Runs `python -m module` with this interpreter and import path."""
    return spawn([sys.executable, "-m", module], python_env(env), stdout)


def stop(process: subprocess.Popen[bytes], grace: float) -> int:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; finally SIGKILL whatever is left in
    the child's process group (anything it started). Returns the child's exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.warning("did not stop in time; killing", extra={"pid": process.pid})
            process.kill()
    code = process.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    return code
