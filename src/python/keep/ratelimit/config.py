"""The limits file: envoyproxy/ratelimit's YAML format, validated with pydantic.

```yaml
domain: keep
descriptors:
  - key: action
    value: create
    descriptors:
      - key: remote_address
        rate_limit: {unit: minute, requests_per_unit: 10}
  - key: path
    value: /api/*                # wildcard: prefix and inner `*` as in the reference
    share_threshold: true        # every matching value shares one counter
    rate_limit: {unit: second, requests_per_unit: 50}
```

Every key the reference accepts is accepted here, and a file is rejected exactly when the
reference rejects it (its own fixtures are the tests: `reference_fixtures_test.py`). Messages keep
this module's style — the path of the offending field, then the reference's wording — so a user
moving a file from envoyproxy/ratelimit recognises them. Matching lives in `matching.py`; reading
files and directories in `sources.py`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


class Unit(enum.Enum):
    """Window lengths in seconds; names are the RLS v3 `RateLimit.Unit` names."""

    SECOND = 1
    MINUTE = 60
    HOUR = 3600
    DAY = 86400
    WEEK = 7 * 86400
    # The reference's month and year are fixed-length windows, not calendar ones.
    MONTH = 30 * 86400
    YEAR = 365 * 86400

    @property
    def seconds(self) -> int:
        return self.value


_UNIT_NAMES = ", ".join(u.name.lower() for u in Unit)


class Replaces(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Optional only for `unlimited` limits; the validator below says when it is required.
    unit: Unit | None = None
    # The reference reads a missing value as 0 (refuse every hit); so does Keep.
    requests_per_unit: int = Field(default=0, ge=0, le=2**32 - 1)
    name: str = ""
    # Matched, but never counted nor limited (the reference's escape hatch).
    unlimited: bool = False
    # Names of other limits that this one switches off when both match one request.
    replaces: tuple[Replaces, ...] = ()

    @field_validator("unit", mode="before")
    @classmethod
    def _unit_by_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return Unit[value.upper()]
            except KeyError:
                raise ValueError(
                    f"invalid rate limit unit {value!r}; use one of {_UNIT_NAMES}"
                ) from None
        if value is not None and not isinstance(value, Unit):
            raise ValueError(f"invalid rate limit unit {value!r}; use one of {_UNIT_NAMES}")
        return value

    @model_validator(mode="after")
    def _unit_matches_unlimited(self) -> RateLimit:
        if self.unlimited and self.unit is not None:
            raise ValueError("should not specify rate limit unit when unlimited")
        if not self.unlimited and self.unit is None:
            raise ValueError(f"invalid rate limit unit ''; use one of {_UNIT_NAMES}")
        for replaced in self.replaces:
            if not replaced.name:
                raise ValueError("should not have an empty replaces entry")
            if replaced.name == self.name:
                raise ValueError("replaces should not contain name of same descriptor")
        return self

    @property
    def window_seconds(self) -> int:
        assert self.unit is not None, "unlimited limits have no window"
        return self.unit.seconds


class DescriptorRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1)
    # "" is the reference's "no value"; `*` anywhere makes it a wildcard.
    value: str | None = None
    rate_limit: RateLimit | None = None
    descriptors: tuple[DescriptorRule, ...] = ()
    # Over-limit hits are counted and reported in metrics, but the answer stays OK.
    shadow_mode: bool = False
    # Over limit only when every quota-mode descriptor of the request is over its limit.
    quota_mode: bool = False
    # Metrics name the matched values, not only the rule (unbounded labels: opt-in per rule).
    detailed_metric: bool = False
    value_to_metric: bool = False
    # Every value matching this wildcard shares one counter instead of one counter per value.
    share_threshold: bool = False
    # Free-form; accepted for compatibility (the reference returns it as dynamic metadata).
    metadata: dict[str, Any] | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _empty_value_is_no_value(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _check(self) -> DescriptorRule:
        if self.share_threshold and (self.value is None or "*" not in self.value):
            shown = self.key if self.value is None else f"{self.key}_{self.value}"
            raise ValueError(
                "share_threshold can only be used with wildcard values (containing '*'), "
                f"but found key {shown!r}"
            )
        _check_unique(self.descriptors)
        return self

    @property
    def is_wildcard(self) -> bool:
        return self.value is not None and "*" in self.value


class LimitsConfig(BaseModel):
    """One domain's rules: the content of one limits file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str = Field(min_length=1)
    descriptors: tuple[DescriptorRule, ...] = ()

    @field_validator("descriptors", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return () if value is None else value  # `descriptors:` with nothing under it

    @model_validator(mode="after")
    def _children_are_unique(self) -> LimitsConfig:
        _check_unique(self.descriptors)
        return self


def _check_unique(rules: Sequence[DescriptorRule]) -> None:
    seen: set[tuple[str, str | None]] = set()
    for rule in rules:
        if (rule.key, rule.value) in seen:
            shown = rule.key if rule.value is None else f"{rule.key}_{rule.value}"
            raise ValueError(f"duplicate descriptor composite key {shown!r}")
        seen.add((rule.key, rule.value))


class LimitsConfigError(Exception):
    """The limits cannot be used; the message says which file, where and why."""


# ---- parsing ------------------------------------------------------------------------------------


def _key_problems(node: Any, where: str) -> list[str]:
    """Mapping keys that are not strings, and list items that are not mappings: the reference
    rejects both before looking at names, and pydantic would report them less clearly."""
    problems: list[str] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            if not isinstance(key, str):
                problems.append(f"  {where or '(top level)'}: key is not a string: {key!r}")
            elif key != "metadata":  # metadata is free-form
                problems += _key_problems(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if not isinstance(item, Mapping):
                problems.append(f"  {where}.{i}: list item is not a mapping: {item!r}")
            else:
                problems += _key_problems(item, f"{where}.{i}")
    return problems


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return f"unknown key {str(error['loc'][-1])!r}"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")


def parse_limits(text: str, source: str = "<limits>") -> LimitsConfig:
    """One limits file's text → its domain's rules, or LimitsConfigError naming `source`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise LimitsConfigError(f"{source}: not valid YAML: {e}") from None
    if data is None:
        raise LimitsConfigError(f"{source}: invalid limits:\n  domain: Field required")
    problems = _key_problems(data, "")
    if problems:
        raise LimitsConfigError(f"{source}: invalid limits:\n" + "\n".join(problems))
    try:
        return LimitsConfig.model_validate(data)
    except ValidationError as e:
        for error in e.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"  {where}: {_message(error)}")
        raise LimitsConfigError(f"{source}: invalid limits:\n" + "\n".join(problems)) from None
