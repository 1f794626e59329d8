from __future__ import annotations

import pytest

from keep.monitoring.promql import metric_names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('sum(rate(keep_http_requests_total{route=~"/a|/{id}",status=~"5.."}[5m]))',
         {"keep_http_requests_total"}),
        ("histogram_quantile(0.99, sum by (job, le) (rate(x_bucket[$__rate_interval])))",
         {"x_bucket"}),
        ("a / on (slo) group_left () (14.4 * b:rec:ratio) and c offset 5m > bool 1e3",
         {"a", "b:rec:ratio", "c"}),
        ('label_replace(m, "dst", "$1", "src", "(.*)") or vector(0)', {"m"}),
        ("probe_ssl_earliest_cert_expiry - time() < 14 * 86400", {"probe_ssl_earliest_cert_expiry"}),
    ],
)  # fmt: skip
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names
