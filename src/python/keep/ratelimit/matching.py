"""Which limit applies to a request descriptor: envoyproxy/ratelimit's matching, precompiled.

At each level an entry `(key, value)` selects, in this order (the reference's precedence):
1. the rule with that key and exactly that value;
2. else the first rule, in file order, with that key and a wildcard value matching it (`foo*`,
   `bar*b`, `a*b*c`: each `*` matches any run of characters, including none);
3. else the rule with that key and no value.
The limit applies only when the request's *last* entry lands on a rule with a `rate_limit`;
shallower or deeper descriptors get no limit. The rule tree is compiled once per load into
dicts (exact and key-only lookups are one hash probe each) plus per-key compiled regexes for
the wildcards, so a lookup costs O(depth), not O(rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from keep.ratelimit.config import DescriptorRule, LimitsConfig, LimitsConfigError, RateLimit, Unit

Entries = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class MatchedLimit:
    limit: RateLimit
    # Names the matched rule for metrics and responses, e.g. "action=create.remote_address",
    # "path=/api/*" (a wildcard's pattern), or with values when detailed_metric is on.
    rule: str
    # The entries that name the counter: the request's own values, except that an entry matched
    # by a share_threshold wildcard is named by the pattern, so all its values share one counter.
    counter_entries: tuple[tuple[str, str], ...]
    shadow_mode: bool = False
    quota_mode: bool = False


@dataclass
class _Node:
    """One level of the compiled tree: the rules under one parent."""

    exact: dict[tuple[str, str], _Rule] = field(default_factory=dict)
    key_only: dict[str, _Rule] = field(default_factory=dict)
    # Per key, in file order: (compiled pattern, rule).
    wildcards: dict[str, list[tuple[re.Pattern[str], _Rule]]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.exact or self.key_only or self.wildcards)


@dataclass
class _Rule:
    source: DescriptorRule
    children: _Node
    # The rule's name unless a level asks for the request's values in metrics: the configured
    # path, wildcards shown as their pattern.
    static_name: str
    # Whether a request matching this rule is named from its own values (see _rule_name).
    names_values: bool


def _wildcard(value: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in value.split("*")), re.DOTALL)


def _compile(rules: Iterable[DescriptorRule], parent: str = "") -> _Node:
    node = _Node()
    for rule in rules:
        own = rule.key if rule.value is None else f"{rule.key}={rule.value}"
        name = f"{parent}.{own}" if parent else own
        compiled = _Rule(
            rule,
            _compile(rule.descriptors, name),
            static_name=name,
            names_values=rule.value_to_metric or rule.detailed_metric,
        )
        if rule.value is None:
            node.key_only[rule.key] = compiled
        elif rule.is_wildcard:
            node.wildcards.setdefault(rule.key, []).append((_wildcard(rule.value), compiled))
        else:
            node.exact[(rule.key, rule.value)] = compiled
    return node


class Limits:
    """Every loaded domain, compiled for lookups. Immutable: a reload builds a new one."""

    def __init__(self, configs: Sequence[LimitsConfig], merge_domains: bool = False):
        by_domain: dict[str, list[DescriptorRule]] = {}
        for config in configs:
            if config.domain in by_domain and not merge_domains:
                raise LimitsConfigError(f"duplicate domain {config.domain!r} in config file")
            by_domain.setdefault(config.domain, []).extend(config.descriptors)
        for domain, rules in by_domain.items():
            # Merged files must not define the same top-level rule twice (as the reference).
            try:
                LimitsConfig(domain=domain, descriptors=tuple(rules))
            except ValueError as e:
                raise LimitsConfigError(f"domain {domain!r}: {e}") from None
        self.domains = {domain: _compile(rules) for domain, rules in by_domain.items()}
        self.rule_count = sum(len(rules) for rules in by_domain.values())

    def find(self, domain: str, entries: Entries) -> MatchedLimit | None:
        """The limit for one request descriptor, or None (unknown domain, no full match)."""
        node = self.domains.get(domain)
        if node is None or not entries:
            return None
        # (entry, rule, how it matched) per level, to name the rule and the counter at the end.
        path: list[tuple[str, str, _Rule, str]] = []
        rule: _Rule | None = None
        names_values = shares_counter = False
        for key, value in entries:
            if node is None:
                return None  # the request is deeper than the rules
            rule, how = _select(node, key, value)
            if rule is None:
                return None
            path.append((key, value, rule, how))
            names_values = names_values or rule.names_values
            shares_counter = shares_counter or (how == "wildcard" and rule.source.share_threshold)
            node = None if rule.children.is_empty else rule.children
        assert rule is not None
        source = rule.source
        if source.rate_limit is None:
            return None
        # The common cases need nothing built per request: the configured path names the rule
        # (a wildcard by its pattern) and the request's own entries name the counter.
        name = _rule_name(path, source.detailed_metric) if names_values else rule.static_name
        counter = (
            tuple((key, _counter_value(value, r, how)) for key, value, r, how in path)
            if shares_counter
            else tuple(entries)
        )
        return MatchedLimit(
            limit=source.rate_limit,
            rule=name,
            counter_entries=counter,
            shadow_mode=source.shadow_mode,
            quota_mode=source.quota_mode,
        )

    @staticmethod
    def override(entries: Entries, requests_per_unit: int, unit: Unit) -> MatchedLimit:
        """A limit the caller sent with the descriptor (Envoy's limit override): it replaces the
        configuration's, and the counter is named by the request's own entries."""
        return MatchedLimit(
            limit=RateLimit(unit=unit, requests_per_unit=requests_per_unit),
            rule=".".join(f"{k}={v}" for k, v in entries),
            counter_entries=tuple(entries),
        )


def _select(node: _Node, key: str, value: str) -> tuple[_Rule | None, str]:
    rule = node.exact.get((key, value))
    if rule is not None:
        return rule, "exact"
    for pattern, candidate in node.wildcards.get(key, ()):
        if pattern.fullmatch(value):
            return candidate, "wildcard"
    return node.key_only.get(key), "key"


def _counter_value(value: str, rule: _Rule, how: str) -> str:
    if how == "wildcard" and rule.source.share_threshold and rule.source.value is not None:
        return rule.source.value
    return value


def _rule_name(path: list[tuple[str, str, _Rule, str]], detailed: bool) -> str:
    """Bounded by the configuration unless the rule opts into values (detailed_metric, or
    value_to_metric on a level), as the reference names its stats."""
    parts = []
    for key, value, rule, how in path:
        source = rule.source
        if how == "wildcard" and source.share_threshold:
            shown: str | None = source.value  # the pattern, even when detailed
        elif detailed or (source.value_to_metric and how != "exact"):
            shown = value
        else:
            shown = source.value
        parts.append(key if not shown else f"{key}={shown}")
    return ".".join(parts)
