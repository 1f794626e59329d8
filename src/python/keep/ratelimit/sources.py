"""Where the limits come from: the built-in file, one file, or a directory of files; and
reloading them when they change.

`RATELIMIT_CONFIG` may name a directory, as the reference's runtime directory: every `*.yaml` /
`*.yml` in it (not recursive, dotfiles ignored) is one or more domains; a domain defined in two
files is an error unless `RATELIMIT_MERGE_DOMAINS` is on. Kubernetes updates a mounted ConfigMap by
swapping a `..data` symlink, which inotify-based watchers are known to miss or double-report, so
the watcher polls: it reads the files every `RATELIMIT_RELOAD_SECONDS` and reloads when their
content changed. A bad edit keeps the last good limits, logs why, and shows in
`keep_ratelimit_config_last_reload_successful`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from prometheus_client import Counter, Gauge

from keep.ratelimit.config import LimitsConfigError, parse_limits
from keep.ratelimit.matching import Limits

RELOADS = Counter(
    "keep_ratelimit_config_reloads_total",
    "Limits reloads after the files changed, by outcome (success, error).",
    ["outcome"],
)
LAST_RELOAD_OK = Gauge(
    "keep_ratelimit_config_last_reload_successful",
    "1 when the newest version of the limits files is in use, 0 when it was rejected.",
)

log = logging.getLogger(__name__)

Source = tuple[str, str]  # (name shown in errors, YAML text)


def read_sources(path: Path | None) -> list[Source]:
    """The limits texts at `path` (a file or a directory), or the built-in default."""
    if path is None:
        text = resources.files("keep.ratelimit").joinpath("limits.yaml").read_text(encoding="utf-8")
        return [("limits.yaml (built-in default)", text)]
    try:
        if path.is_dir():
            files = sorted(
                p
                for p in path.iterdir()
                if p.suffix in (".yaml", ".yml") and not p.name.startswith(".") and p.is_file()
            )
            if not files:
                raise LimitsConfigError(f"{path}: no *.yaml or *.yml limits files in the directory")
            return [(str(f), f.read_text(encoding="utf-8")) for f in files]
        return [(str(path), path.read_text(encoding="utf-8"))]
    except OSError as e:
        raise LimitsConfigError(f"{path}: cannot read the limits file: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise LimitsConfigError(f"{path}: not UTF-8 text: {e.reason}") from None


def build_limits(sources: list[Source], merge_domains: bool = False) -> Limits:
    configs = [parse_limits(text, name) for name, text in sources]
    try:
        return Limits(configs, merge_domains)
    except LimitsConfigError as e:
        names = ", ".join(name for name, _ in sources)
        raise LimitsConfigError(f"{names}: {e}") from None


def load_limits(path: Path | None, merge_domains: bool = False) -> Limits:
    """Reads and validates every limits file at `path` (see `read_sources`)."""
    return build_limits(read_sources(path), merge_domains)


def _fingerprint(sources: list[Source]) -> str:
    digest = hashlib.sha256()
    for name, text in sources:
        digest.update(f"{len(name)}:{name}{len(text)}:".encode())
        digest.update(text.encode())
    return digest.hexdigest()


class LimitsWatcher:
    """Polls the limits files and hands every good new version to `apply`."""

    def __init__(
        self,
        path: Path,
        apply: Callable[[Limits], None],
        interval: float,
        merge_domains: bool = False,
    ):
        self._path = path
        self._apply = apply
        self._interval = interval
        self._merge = merge_domains
        self._seen = _fingerprint(read_sources(path))
        self._last_rejected: str | None = None  # said once per bad version, not every poll
        LAST_RELOAD_OK.set(1)

    def check(self) -> bool | None:
        """One poll: True reloaded, False rejected (last good kept), None unchanged."""
        try:
            sources = read_sources(self._path)
        except LimitsConfigError as e:
            return self._rejected(str(e), fingerprint=f"unreadable: {e}")
        fingerprint = _fingerprint(sources)
        if fingerprint == self._seen:
            if self._last_rejected is not None:  # the bad edit was reverted
                self._last_rejected = None
                LAST_RELOAD_OK.set(1)
            return None
        try:
            limits = build_limits(sources, self._merge)
        except LimitsConfigError as e:
            return self._rejected(str(e), fingerprint)
        self._seen, self._last_rejected = fingerprint, None
        self._apply(limits)
        RELOADS.labels("success").inc()
        LAST_RELOAD_OK.set(1)
        log.info("limits reloaded", extra={"domains": sorted(limits.domains)})
        return True

    def _rejected(self, why: str, fingerprint: str) -> bool | None:
        if fingerprint == self._last_rejected:
            return None
        self._last_rejected = fingerprint
        RELOADS.labels("error").inc()
        LAST_RELOAD_OK.set(0)
        log.error("limits not reloaded, keeping the last good ones: %s", why)
        return False

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            # File reads are small and local; parsing a big file would still block the loop
            # briefly, so it runs in a worker thread.
            try:
                await asyncio.to_thread(self.check)
            except Exception:  # a watcher that dies would silently freeze the limits
                log.exception("limits reload failed unexpectedly; will retry")
