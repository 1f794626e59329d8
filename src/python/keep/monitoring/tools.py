"""Debian's Prometheus tools (packages `prometheus`, `prometheus-redis-exporter`), installed by
build-support/ci/setup-runner.sh. A missing tool is an error that says how to install it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Debian installs the exporter as prometheus-redis-exporter; upstream calls it redis_exporter.
_NAMES = {
    "promtool": ("promtool",),
    "prometheus": ("prometheus",),
    "redis_exporter": ("prometheus-redis-exporter", "redis_exporter"),
}
_PACKAGES = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "redis_exporter": "prometheus-redis-exporter",
}


class ToolMissing(RuntimeError):
    pass


def tool(name: str) -> Path:
    """$PROMTOOL / $PROMETHEUS / $REDIS_EXPORTER, else PATH, else /usr/bin."""
    explicit = os.environ.get(name.upper())
    if explicit:
        return Path(explicit)
    for candidate in _NAMES[name]:
        found = shutil.which(candidate) or (
            f"/usr/bin/{candidate}" if os.access(f"/usr/bin/{candidate}", os.X_OK) else None
        )
        if found:
            return Path(found)
    raise ToolMissing(
        f"{name} not found: `apt-get install {_PACKAGES[name]}` (Debian 12), as "
        f"build-support/ci/setup-runner.sh does, or set ${name.upper()}"
    )
