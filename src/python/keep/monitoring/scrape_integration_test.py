"""A real Prometheus (Debian's) scraping the local stack and redis_exporter, with Keep's rules
loaded: every metric a rule or a dashboard query reads exists in a real scrape, every query runs,
and every recording rule produces data from real traffic."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
import redis
import requests

from keep.devstack.embedded_redis import EmbeddedRedis
from keep.devstack.processes import stop
from keep.devstack.stack import Stack
from keep.monitoring import sources
from keep.monitoring.local import LocalPrometheus
from keep.monitoring.observe import Observed
from keep.monitoring.promql import metric_names

# Series Prometheus makes itself, not a target.
SYNTHESIZED = {"up", "ALERTS"}
# Series from exporters that watch the cluster from outside, which no local process can serve.
EXTERNAL = {
    # blackbox_exporter probing the public URL's TLS certificate (deploy/README.md).
    "probe_ssl_earliest_cert_expiry",
}


@pytest.fixture(scope="module")
def observed() -> Iterator[Observed]:
    redis_server = EmbeddedRedis().start()
    stack = Stack(redis_url=redis_server.url, http_port=0, output=subprocess.DEVNULL)
    try:
        stack.start()
        watching = Observed(stack, interval="1s").start()
        assert watching.prometheus is not None
        try:
            _drive_traffic(stack, redis.Redis.from_url(redis_server.url), watching.prometheus)
            yield watching
        finally:
            watching.stop()
    finally:
        stack.stop()
        redis_server.stop()


def _drive_traffic(stack: Stack, redis_admin: redis.Redis, prometheus: LocalPrometheus) -> None:
    """What an on-call person's graphs are made of: creates, reveals, wrong passwords, burns,
    misses, a client over its limit, a full Redis, and requests that pass while the rate limiter
    is down. Real failures, so that labelled series exist the way they do in production."""
    api = f"{stack.url}/api/v1/secrets"
    for _ in range(3):
        created = requests.post(api, json={"secret": "s3cr3t"}, timeout=15).json()
        reveal = requests.post(
            f"{api}/{created['id']}/reveal", json={"password": created["password"]}, timeout=15
        )
        assert reveal.status_code == 200
    created = requests.post(api, json={"secret": "guess me"}, timeout=15).json()
    wrong = requests.post(f"{api}/{created['id']}/reveal", json={"password": "wrong"}, timeout=15)
    assert wrong.status_code == 403, wrong.content
    burn = requests.delete(
        f"{api}/{created['id']}", headers={"X-Keep-Password": created["password"]}, timeout=15
    )
    assert burn.status_code in (200, 204), burn.content
    missing = requests.post(f"{api}/{'A' * 22}/reveal", json={"password": "x"}, timeout=15)
    assert missing.status_code == 404
    # Redis full: creates are refused (and counted as Redis errors), nothing is half-written.
    redis_admin.config_set("maxmemory", "1")
    assert requests.post(api, json={"secret": "no room"}, timeout=15).status_code >= 500
    redis_admin.config_set("maxmemory", "0")
    # Over the create limit (30 a minute per client in ratelimit/limits.yaml): a 429.
    statuses = [requests.post(api, json={"secret": "x"}, timeout=15).status_code for _ in range(31)]
    assert 429 in statuses, statuses
    prometheus.wait_for('keep_ratelimit_descriptors_total{code="OVER_LIMIT"}')  # scraped before
    stop(stack.processes.pop("ratelimit"), 5)
    down = requests.post(api, json={"secret": "while ratelimit is down"}, timeout=15)
    assert down.status_code == 201


def _runnable(expr: str) -> str:
    # Grafana's interval macro; Prometheus needs a literal range.
    return re.sub(r"\$__rate_interval|\$__interval", "1m", expr)


def test_every_target_is_scraped(observed: Observed) -> None:
    prometheus = observed.prometheus
    assert prometheus is not None
    for job in ("gateway", "datastorage", "redis"):
        prometheus.wait_for(f'up{{job="{job}"}} == 1')


def test_every_referenced_metric_exists_in_a_real_scrape(observed: Observed) -> None:
    prometheus = observed.prometheus
    assert prometheus is not None
    needed = {name for q in sources.queries() for name in metric_names(q.expr)}
    scraped_or_recorded = needed - SYNTHESIZED - EXTERNAL
    for name in sorted(scraped_or_recorded - sources.recorded_names()):
        # Over a range: ratelimit was stopped on purpose, so its series are stale by now.
        prometheus.wait_for(f'last_over_time({{__name__="{name}"}}[10m])', timeout=20)
    assert needed >= EXTERNAL, "an EXTERNAL entry is no longer used: remove it"


def test_every_recording_rule_produces_data(observed: Observed) -> None:
    prometheus = observed.prometheus
    assert prometheus is not None
    for name in sorted(sources.recorded_names()):
        prometheus.wait_for(name, timeout=30)


def test_every_query_runs(observed: Observed) -> None:
    prometheus = observed.prometheus
    assert prometheus is not None
    for query in sources.queries():
        prometheus.query(_runnable(query.expr))  # raises with Prometheus' message if invalid


def test_rule_files_load_without_errors(observed: Observed) -> None:
    prometheus = observed.prometheus
    assert prometheus is not None
    groups = prometheus.api("rules")["groups"]
    assert {g["name"] for g in groups} == {g["name"] for g in sources.rule_groups()}
    unhealthy = [
        (r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] == "err"
    ]
    assert not unhealthy
