"""The metric names a PromQL expression reads, without a full parser.

Good enough for Keep's own rules and dashboard queries, which the tests check against a real
scrape: strings, label matchers, durations and `by (...)`-style label lists are removed first, and
what remains is a function (followed by `(`), a keyword, a number, or a metric name."""

from __future__ import annotations

import re

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_LIST = re.compile(
    r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE
)
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
    "group_right", "inf", "nan", "start", "end", "atan2",
}  # fmt: skip
# Grafana template variables and macros such as $__rate_interval live in ranges; none elsewhere.


def metric_names(expr: str) -> set[str]:
    text = _STRING.sub(" ", expr)
    text = _RANGE.sub(" ", text)
    text = _MATCHERS.sub(" ", text)
    text = _LABEL_LIST.sub(" ", text)
    names = set()
    for match in _IDENT.finditer(text):
        name = match.group()
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end() :].lstrip()[:1]
        if after == "(" or name.lower() in _KEYWORDS or before in "$.0123456789":
            continue
        names.add(name)
    return names
