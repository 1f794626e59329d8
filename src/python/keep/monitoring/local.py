"""A real Prometheus (and redis_exporter) on localhost, scraping a local Keep stack: used by
`devstack --observe` and by the real-scrape test. Debian's binaries (see keep.monitoring.tools)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from keep.devstack.ports import free_port
from keep.devstack.processes import spawn, stop
from keep.monitoring.tools import tool
from keep.platform.waiting import GaveUp, exited, wait_until


class MonitoringError(Exception):
    """A monitoring process did not come up, or Prometheus refused a query."""


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str, timeout: float) -> None:
    def answers() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    try:
        wait_until(
            answers, what=f"{what} at {url}", timeout=timeout, interval=0.1, gave_up=exited(process)
        )
    except (TimeoutError, GaveUp) as e:
        raise MonitoringError(str(e)) from None


@dataclass
class RedisExporter:
    """redis_exporter for one Redis; its metrics on 127.0.0.1:port/metrics."""

    redis_url: str
    output: int | None = subprocess.DEVNULL
    port: int = 0
    _process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> RedisExporter:
        self.port = self.port or free_port()
        self._process = spawn(
            [str(tool("redis_exporter")), "-redis.addr", self.redis_url,
             "-web.listen-address", self.address],
            stdout=self.output,
        )  # fmt: skip
        _wait_http(f"http://{self.address}/metrics", self._process, "redis_exporter", timeout)
        return self

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process, 5)
            self._process = None


@dataclass
class LocalPrometheus:
    """Prometheus with one static job per entry of `targets`, loading `rule_files`."""

    targets: Mapping[str, Sequence[str]]  # job -> ["host:port", ...]
    rule_files: Sequence[Path] = ()
    scrape_interval: str = "1s"
    evaluation_interval: str = "1s"
    output: int | None = subprocess.DEVNULL
    port: int = 0
    _dir: Path | None = None
    _process: subprocess.Popen[bytes] | None = None
    extra_scrape_configs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        assert self._dir is not None
        return {
            "global": {
                "scrape_interval": self.scrape_interval,
                "evaluation_interval": self.evaluation_interval,
            },
            "rule_files": [
                str(self._dir / f"rules-{i}.yaml") for i, _ in enumerate(self.rule_files)
            ],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": list(addresses)}]}
                for job, addresses in self.targets.items()
            ]
            + self.extra_scrape_configs,
        }

    def start(self, timeout: float = 30.0) -> LocalPrometheus:
        self.port = self.port or free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="keep-prometheus-"))
        for i, rules in enumerate(self.rule_files):
            shutil.copyfile(rules, self._dir / f"rules-{i}.yaml")
        (self._dir / "prometheus.yml").write_text(yaml.safe_dump(self.config()))
        self._process = spawn(
            [
                str(tool("prometheus")),
                f"--config.file={self._dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self._dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.console.templates=/nonexistent",  # Debian's default paths may be absent
                "--web.console.libraries=/nonexistent",
            ],
            stdout=self.output,
        )
        _wait_http(f"{self.url}/-/ready", self._process, "prometheus", timeout)
        return self

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as e:
            raise MonitoringError(f"{path} {params}: {e.read().decode(errors='replace')}") from e
        if body.get("status") != "success":
            raise MonitoringError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api("query", query=expr)["result"]
        return result

    def metric_names(self) -> set[str]:
        return set(self.api("label/__name__/values"))

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Polls until `expr` returns something."""
        result: list[dict[str, Any]] = []

        def answered() -> bool:
            nonlocal result
            result = self.query(expr)
            return bool(result)

        try:
            wait_until(answered, what=f"`{expr}` returning series", timeout=timeout, interval=0.25)
        except TimeoutError as e:
            raise MonitoringError(str(e)) from None
        return result

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process, 10)
            self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
