"""Prometheus and redis_exporter beside a running local stack (`devstack --observe`)."""

from __future__ import annotations

import subprocess
import urllib.parse
from dataclasses import dataclass, field

from keep.devstack.stack import Stack
from keep.monitoring import sources
from keep.monitoring.local import LocalPrometheus, RedisExporter

# Jobs are named like the Kubernetes workloads, so the same rules work here and in the clusters.
SERVICES = ("gateway", "datastorage", "ratelimit")
# What the Prometheus page opens with: the SLOs and the domain signals.
START_QUERIES = (
    "keep:slo_error_ratio:5m",
    "sum by (route, status) (rate(keep_http_requests_total[1m]))",
    "sum(rate(keep_secrets_created_total[1m])) or sum(rate(keep_secrets_revealed_total[1m]))",
    "sum by (job) (rate(keep_redis_command_latency_seconds_count[1m]))",
)


@dataclass
class Observed:
    stack: Stack
    output: int | None = subprocess.DEVNULL
    prometheus_port: int = 0
    # devstack: every 5 s is plenty for a person; tests use 1 s.
    interval: str = "5s"
    exporter: RedisExporter | None = None
    prometheus: LocalPrometheus | None = None
    targets: dict[str, list[str]] = field(default_factory=dict)

    def start(self) -> Observed:
        try:
            assert self.stack.redis_url is not None, "start the stack first"
            self.exporter = RedisExporter(self.stack.redis_url, self.output).start()
            self.targets = {
                name: [f"127.0.0.1:{self.stack.ports[f'{name}_metrics']}"] for name in SERVICES
            }
            self.targets["redis"] = [self.exporter.address]
            self.prometheus = LocalPrometheus(
                self.targets,
                rule_files=[sources.monitoring_dir() / sources.RULES_FILE],
                scrape_interval=self.interval,
                evaluation_interval=self.interval,
                output=self.output,
                port=self.prometheus_port,
            ).start()
        except BaseException:
            self.stop()
            raise
        return self

    def urls(self) -> dict[str, str]:
        assert self.prometheus is not None
        base = self.prometheus.url.replace("127.0.0.1", "localhost")
        graphs = {f"g{i}.expr": q for i, q in enumerate(START_QUERIES)}
        graphs |= {f"g{i}.range_input": "15m" for i in range(len(START_QUERIES))}
        return {
            "graphs": f"{base}/graph?{urllib.parse.urlencode(graphs)}",
            "alerts": f"{base}/alerts",
            "targets": f"{base}/targets",
        }

    def stop(self) -> None:
        for part in (self.prometheus, self.exporter):
            if part is not None:
                part.stop()
