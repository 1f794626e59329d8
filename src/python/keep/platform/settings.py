"""Service configuration from environment variables, with errors a person can act on."""

from __future__ import annotations

import logging
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = str


class ServiceSettings(BaseSettings):
    """Settings every Keep service reads. Env var names are the field names upper-cased."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    log_level: LogLevel = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    metrics_port: int = Field(default=9100, ge=0, le=65535)
    # Kubernetes gives pods terminationGracePeriodSeconds (30) before SIGKILL; drain well inside it.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0, le=300)


class SettingsError(Exception):
    """The environment does not describe a valid configuration."""


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(settings_class: type[SettingsT]) -> SettingsT:
    """Reads settings from the environment, turning validation errors into one clear message."""
    try:
        return settings_class()
    except ValidationError as e:
        problems = []
        for error in e.errors():
            env_var = "_".join(str(part) for part in error["loc"]).upper()
            # The offending value is left out: it may be a credential (e.g. REDIS_URL).
            problems.append(f"  {env_var}: {error['msg']}")
        raise SettingsError(
            f"invalid configuration for {settings_class.__name__}:\n" + "\n".join(problems)
        ) from None


def log_level_number(level: LogLevel) -> int:
    return logging.getLevelNamesMapping()[level.upper()]
