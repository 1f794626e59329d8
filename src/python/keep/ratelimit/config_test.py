from pathlib import Path

import pytest

from keep.ratelimit.config import LimitsConfigError, Unit, parse_limits
from keep.ratelimit.matching import Limits, MatchedLimit
from keep.ratelimit.sources import load_limits

LIMITS = """
domain: keep
descriptors:
  - key: action
    value: create
    descriptors:
      - key: remote_address
        rate_limit: {unit: minute, requests_per_unit: 10}
      - key: remote_address
        value: 10.0.0.1
        rate_limit: {unit: MINUTE, requests_per_unit: 1000, name: office}
  - key: action
    value: status
    rate_limit: {unlimited: true}
  - key: remote_address
    rate_limit: {unit: second, requests_per_unit: 50}
"""


def find_limit(text: str, entries: list[tuple[str, str]]) -> MatchedLimit | None:
    return Limits([parse_limits(text)]).find("keep", entries)


def test_nested_rule_matches_key_and_any_value() -> None:
    match = find_limit(LIMITS, [("action", "create"), ("remote_address", "192.0.2.1")])
    assert match is not None
    assert (match.limit.requests_per_unit, match.limit.unit) == (10, Unit.MINUTE)
    assert match.rule == "action=create.remote_address"


def test_a_rule_with_a_value_wins_over_the_key_only_rule() -> None:
    match = find_limit(LIMITS, [("action", "create"), ("remote_address", "10.0.0.1")])
    assert match is not None
    assert match.limit.requests_per_unit == 1000
    assert match.limit.name == "office"


def test_top_level_remote_address_rule_for_emissary() -> None:
    match = find_limit(LIMITS, [("remote_address", "192.0.2.1")])
    assert match is not None
    assert (match.limit.requests_per_unit, match.limit.unit) == (50, Unit.SECOND)


@pytest.mark.parametrize(
    "entries",
    [
        [("action", "create")],  # stops above the limit
        [("action", "reveal"), ("remote_address", "192.0.2.1")],  # no such value
        [("action", "create"), ("remote_address", "1.2.3.4"), ("extra", "x")],  # too deep
        [("user", "bob")],
    ],
)
def test_no_limit_unless_every_entry_matches_down_to_a_limit(
    entries: list[tuple[str, str]],
) -> None:
    assert find_limit(LIMITS, entries) is None


def test_the_built_in_default_limits_load() -> None:
    limits = load_limits(None)
    assert set(limits.domains) == {"keep"}
    for action in ("create", "reveal"):
        assert limits.find("keep", [("action", action), ("remote_address", "::1")]) is not None
    assert limits.find("keep", [("remote_address", "::1")]) is not None


def _error(text: str) -> str:
    with pytest.raises(LimitsConfigError) as error:
        parse_limits(text, "limits.yaml")
    return str(error.value)


def test_errors_say_where_and_what() -> None:
    message = _error(
        """
domain: keep
descriptors:
  - key: action
    descriptors:
      - key: remote_address
        rate_limit: {unit: fortnight, requests_per_unit: -1}
"""
    )
    assert message.startswith("limits.yaml: invalid limits:")
    assert "descriptors.0.descriptors.0.rate_limit.unit" in message
    assert "invalid rate limit unit 'fortnight'; use one of second, minute, hour, day" in message
    assert "descriptors.0.descriptors.0.rate_limit.requests_per_unit" in message
    assert "greater than or equal to 0" in message


def test_unknown_fields_and_missing_domain_are_errors() -> None:
    message = _error("descriptors:\n  - key: a\n    rate_limt: {unit: second}\n")
    assert "domain: Field required" in message
    assert "descriptors.0.rate_limt: unknown key 'rate_limt'" in message


def test_duplicate_rules_are_errors() -> None:
    message = _error("domain: keep\ndescriptors:\n  - {key: a, value: b}\n  - {key: a, value: b}\n")
    assert "duplicate descriptor composite key 'a_b'" in message


def test_broken_yaml_and_missing_file() -> None:
    assert "limits.yaml: not valid YAML" in _error("domain: [keep")
    assert "(top level)" in _error("just a string")
    with pytest.raises(LimitsConfigError, match="cannot read the limits file"):
        load_limits(Path("/nonexistent/limits.yaml"))
