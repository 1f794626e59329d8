"""The limits file: Envoy ratelimit's YAML format, validated with pydantic.

```yaml
domain: keep
descriptors:
  - key: action
    value: create
    descriptors:
      - key: remote_address
        rate_limit: {unit: minute, requests_per_unit: 10}
  - key: remote_address          # what Emissary sends
    rate_limit: {unit: second, requests_per_unit: 50}
```

Matching follows Envoy ratelimit: each request entry selects the child with the same key and
value, else the child with the same key and no value; the limit applies only when the last
entry lands on a rule that has a `rate_limit`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class Unit(enum.Enum):
    SECOND = 1
    MINUTE = 60
    HOUR = 3600
    DAY = 86400

    @property
    def seconds(self) -> int:
        return self.value


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: Unit
    requests_per_unit: int = Field(ge=0)
    name: str = ""
    # Envoy ratelimit's escape hatch: matched, but never counted nor limited.
    unlimited: bool = False

    @field_validator("unit", mode="before")
    @classmethod
    def _unit_by_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return Unit[value.upper()]
            except KeyError:
                raise ValueError(
                    f"unknown unit {value!r}; use one of second, minute, hour, day"
                ) from None
        return value


class DescriptorRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1)
    value: str | None = None
    rate_limit: RateLimit | None = None
    descriptors: tuple[DescriptorRule, ...] = ()

    @model_validator(mode="after")
    def _children_are_unique(self) -> DescriptorRule:
        _check_unique(self.descriptors)
        return self


class LimitsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str = Field(min_length=1)
    descriptors: tuple[DescriptorRule, ...] = ()

    @model_validator(mode="after")
    def _children_are_unique(self) -> LimitsConfig:
        _check_unique(self.descriptors)
        return self


def _check_unique(rules: Sequence[DescriptorRule]) -> None:
    seen: set[tuple[str, str | None]] = set()
    for rule in rules:
        if (rule.key, rule.value) in seen:
            shown = rule.key if rule.value is None else f"{rule.key}={rule.value}"
            raise ValueError(f"descriptor {shown!r} is defined twice at the same level")
        seen.add((rule.key, rule.value))


class LimitsConfigError(Exception):
    """The limits file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class MatchedLimit:
    limit: RateLimit
    # The matched rule path, e.g. "action=create.remote_address", for names and logs.
    rule: str


def find_limit(config: LimitsConfig, entries: Sequence[tuple[str, str]]) -> MatchedLimit | None:
    """The limit for one request descriptor, or None when no rule matches all its entries."""
    rules = config.descriptors
    path: list[str] = []
    matched: DescriptorRule | None = None
    for key, value in entries:
        exact = next((r for r in rules if r.key == key and r.value == value), None)
        matched = exact or next((r for r in rules if r.key == key and r.value is None), None)
        if matched is None:
            return None
        path.append(key if matched.value is None else f"{key}={matched.value}")
        rules = matched.descriptors
    if matched is None or matched.rate_limit is None:
        return None
    return MatchedLimit(matched.rate_limit, ".".join(path))


def parse_limits(text: str, source: str = "<limits>") -> LimitsConfig:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise LimitsConfigError(f"{source}: not valid YAML: {e}") from None
    try:
        return LimitsConfig.model_validate(data)
    except ValidationError as e:
        problems = []
        for error in e.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"  {where}: {error['msg']}")
        raise LimitsConfigError(f"{source}: invalid limits:\n" + "\n".join(problems)) from None


def load_limits(path: Path | None) -> LimitsConfig:
    """Reads the limits file at `path`, or the default limits.yaml shipped with the service."""
    if path is None:
        text = resources.files("keep.ratelimit").joinpath("limits.yaml").read_text(encoding="utf-8")
        return parse_limits(text, "limits.yaml (built-in default)")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise LimitsConfigError(f"{path}: cannot read the limits file: {e.strerror}") from None
    return parse_limits(text, str(path))
