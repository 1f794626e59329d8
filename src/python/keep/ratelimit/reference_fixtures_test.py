"""envoyproxy/ratelimit's own configuration fixtures through Keep's loader and matcher.

Each case mirrors an assertion of the reference's `test/config/config_test.go`: the file is
accepted or rejected for the same reason, and the same descriptor gets the same limit (or none).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from keep.ratelimit.config import LimitsConfigError, Unit
from keep.ratelimit.matching import Limits, MatchedLimit
from keep.ratelimit.sources import build_limits

FIXTURES = Path(str(resources.files("keep.ratelimit").joinpath("reference_fixtures")))
DOMAIN = "test-domain"


def _load(*names: str, merge: bool = False) -> Limits:
    return build_limits([(n, (FIXTURES / n).read_text()) for n in names], merge_domains=merge)


def _find(limits: Limits, *entries: tuple[str, str]) -> MatchedLimit | None:
    return limits.find(DOMAIN, list(entries))


def test_every_fixture_is_covered_here() -> None:
    on_disk = {p.name for p in FIXTURES.glob("*.yaml")}
    assert on_disk == set(ACCEPTED) | set(REJECTED) | {"duplicate_domain.yaml"}


ACCEPTED = [
    "basic_config.yaml",
    "merge_domain_key1.yaml",
    "merge_domain_key2.yaml",
    "metadata.yaml",
    "shadowmode_config.yaml",
    "share_threshold.yaml",
    "wildcard.yaml",
]

# file -> the reference's reason (config_test.go's expected panic, without the file name).
REJECTED = {
    "bad_limit_unit.yaml": "invalid rate limit unit 'foo'",
    "bad_yaml.yaml": "not valid YAML",
    "empty_domain.yaml": "domain: Field required",
    "empty_key.yaml": "key: Field required",
    "duplicate_key.yaml": "duplicate descriptor composite key 'key1_value1'",
    "misspelled_key.yaml": "unknown key 'ratelimit'",
    "misspelled_key2.yaml": "unknown key 'requestsperunit'",
    "non_string_key.yaml": "key is not a string: 0.25",
    "non_map_list.yaml": "list item is not a mapping: 'a'",
    "replaces_empty.yaml": "should not have an empty replaces entry",
    "replaces_self.yaml": "replaces should not contain name of same descriptor",
    "unlimited_with_unit.yaml": "should not specify rate limit unit when unlimited",
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_files_the_reference_accepts_load(name: str) -> None:
    assert DOMAIN in _load(name).domains


@pytest.mark.parametrize(("name", "reason"), sorted(REJECTED.items()))
def test_files_the_reference_rejects_fail_for_the_same_reason(name: str, reason: str) -> None:
    with pytest.raises(LimitsConfigError) as error:
        _load(name)
    assert str(error.value).startswith(name)
    assert reason in str(error.value)


def test_duplicate_domain_across_files() -> None:
    with pytest.raises(LimitsConfigError, match="duplicate domain 'test-domain'"):
        _load("basic_config.yaml", "duplicate_domain.yaml")


def test_domain_merge_when_asked() -> None:
    limits = _load("merge_domain_key1.yaml", "merge_domain_key2.yaml", merge=True)
    assert _limit(limits, ("key1", "value1")) == (10, Unit.MINUTE)
    assert _limit(limits, ("key2", "value2")) == (20, Unit.MINUTE)
    with pytest.raises(LimitsConfigError, match="duplicate descriptor composite key 'key1_value1'"):
        _load("merge_domain_key1.yaml", "merge_domain_key1.yaml", merge=True)
    with pytest.raises(LimitsConfigError, match="duplicate domain"):
        _load("merge_domain_key1.yaml", "merge_domain_key2.yaml")


def _limit(limits: Limits, *entries: tuple[str, str]) -> tuple[int, Unit | None] | None:
    match = _find(limits, *entries)
    return None if match is None else (match.limit.requests_per_unit, match.limit.unit)


# TestBasicConfig: (entries, expected (requests_per_unit, unit) or None, expected rule name)
BASIC = [
    ([("key1", "something")], None, None),
    ([("key1", "value1")], None, None),
    ([("key2", "value2"), ("subkey", "subvalue")], None, None),
    ([("key5", "value5"), ("subkey5", "subvalue")], None, None),
    ([("key1", "value1"), ("subkey1", "something")], (5, Unit.SECOND), "key1=value1.subkey1"),
    (
        [("key1", "value1"), ("subkey1", "subvalue1")],
        (10, Unit.SECOND),
        "key1=value1.subkey1=subvalue1",
    ),
    ([("key2", "something")], (20, Unit.MINUTE), "key2"),
    ([("key2", "value2")], (30, Unit.MINUTE), "key2=value2"),
    ([("key2", "value3")], None, None),  # a value with no limit whitelists it
    ([("key3", "foo")], (1, Unit.HOUR), "key3"),
    ([("key4", "foo")], (1, Unit.DAY), "key4"),
    # detailed_metric: the value is part of the name, so metrics tell values apart.
    ([("key7", "unspecified_value")], (70, Unit.MINUTE), "key7=unspecified_value"),
    ([("key7", "another_value")], (70, Unit.MINUTE), "key7=another_value"),
]


@pytest.mark.parametrize(("entries", "expected", "rule"), BASIC)
def test_basic_config_decisions(
    entries: list[tuple[str, str]], expected: tuple[int, Unit] | None, rule: str | None
) -> None:
    limits = _load("basic_config.yaml")
    assert _limit(limits, *entries) == expected
    match = _find(limits, *entries)
    assert (match.rule if match else None) == rule


def test_basic_config_names_and_unlimited() -> None:
    limits = _load("basic_config.yaml")
    assert limits.find("foo_domain", [("key1", "value1")]) is None
    assert _find(limits) is None
    key3, key4 = _find(limits, ("key3", "foo")), _find(limits, ("key4", "foo"))
    assert key3 is not None and key3.limit.name == ""
    assert key4 is not None and key4.limit.name == "key4_rate_limit"
    key6 = _find(limits, ("key6", "foo"))
    assert key6 is not None and key6.limit.unlimited


def test_shadow_mode_config() -> None:
    limits = _load("shadowmode_config.yaml")
    cases = [
        ([("key1", "value1"), ("subkey1", "something")], 5, False),
        ([("key1", "value1"), ("subkey1", "subvalue1")], 10, True),
        ([("key2", "something")], 20, True),
        ([("key2", "value2")], 30, False),
    ]
    for entries, requests, shadow in cases:
        match = _find(limits, *entries)
        assert match is not None
        assert (match.limit.requests_per_unit, match.shadow_mode) == (requests, shadow)


def test_wildcard_config() -> None:
    limits = _load("wildcard.yaml")
    no_val_1, no_val_2 = _find(limits, ("noVal", "foo1")), _find(limits, ("noVal", "foo2"))
    assert no_val_1 is not None and no_val_2 is not None and no_val_1.rule == no_val_2.rule
    assert no_val_1.rule == "noVal"
    for value in ("foo1", "foo2"):
        match = _find(limits, ("wild", value))
        assert match is not None and match.rule == "wild=foo*"
        # Without share_threshold every value keeps its own counter (the reference's cache key).
        assert match.counter_entries == (("wild", value),)
    nested = _find(limits, ("nestedWild", "val1"), ("wild", "goo2"))
    assert nested is not None and nested.rule == "nestedWild=val1.wild=goo*"
    assert _find(limits, ("wild", "bar")) is None
    assert _find(limits, ("noWild", "foo1")) is None  # no eager matching of plain values
    for value in ("barab", "bar123b", "barb"):
        match = _find(limits, ("midWild", value))
        assert match is not None and match.rule == "midWild=bar*b"
    for value in ("bara", "xbarb"):
        assert _find(limits, ("midWild", value)) is None
    for value in ("foo123bar456baz", "foobarbaz"):
        match = _find(limits, ("multiWild", value))
        assert match is not None and match.rule == "multiWild=foo*bar*baz"
    for value in ("foo123baz", "bar456baz"):
        assert _find(limits, ("multiWild", value)) is None


SHARE = [
    # (entries, requests_per_unit, the counter's entries: shared patterns or own values)
    ([("files", "files/a.txt")], 100, (("files", "files/*"),)),
    ([("files", "files/b.txt")], 100, (("files", "files/*"),)),
    (
        [("nested", "parent"), ("files", "nested/x")],
        200,
        (("nested", "parent"), ("files", "nested/*")),
    ),
    ([("files", "top/1"), ("files", "nested/2")], 300, (("files", "top/*"), ("files", "nested/*"))),
    ([("route", "api/v1"), ("method", "GET")], 60, (("route", "api/*"), ("method", "GET"))),
    (
        [("path", "path/a"), ("file", "file/b"), ("type", "t")],
        120,
        (("path", "path/*"), ("file", "file/b"), ("type", "t")),
    ),
    (
        [("user", "user/1"), ("resource", "res/2"), ("action", "get")],
        150,
        (("user", "user/*"), ("resource", "res/*"), ("action", "get")),
    ),
    ([("file", "test1")], 50, (("file", "test1"),)),  # the exact value wins over the wildcard
    ([("file", "test2")], 100, (("file", "test*"),)),
    ([("midpath", "/api/users/v1")], 100, (("midpath", "/api*v1"),)),
    ([("multiroute", "svcAepBrpc")], 50, (("multiroute", "svc*ep*rpc"),)),
    (
        [("tenant", "t1prod"), ("resource", "resXv2")],
        60,
        (("tenant", "t*prod"), ("resource", "res*v2")),
    ),
]


@pytest.mark.parametrize(("entries", "requests", "counter"), SHARE)
def test_share_threshold_shares_one_counter_per_pattern(
    entries: list[tuple[str, str]], requests: int, counter: tuple[tuple[str, str], ...]
) -> None:
    match = _find(_load("share_threshold.yaml"), *entries)
    assert match is not None
    assert match.limit.requests_per_unit == requests
    assert match.counter_entries == counter


def test_share_threshold_needs_a_wildcard() -> None:
    text = "domain: d\ndescriptors:\n  - key: k\n    value: plain\n    share_threshold: true\n"
    with pytest.raises(LimitsConfigError, match="share_threshold can only be used with wildcard"):
        build_limits([("x.yaml", text)])


def test_metadata_is_accepted() -> None:
    limits = _load("metadata.yaml")
    assert _limit(limits, ("key1", "value1"), ("subkey1", "something")) == (5, Unit.SECOND)
    assert _limit(limits, ("key2", "something")) == (20, Unit.MINUTE)
