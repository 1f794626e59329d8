"""Service configuration from environment variables, with errors a person can act on."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = str


class ServiceSettings(BaseSettings):
    """Settings every Keep service reads. Env var names are the field names upper-cased."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    log_level: LogLevel = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    metrics_port: int = Field(default=9100, ge=0, le=65535)
    # Kubernetes gives pods terminationGracePeriodSeconds (30) before SIGKILL; drain well inside it.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0, le=300)
    # gRPC TLS (keep.platform.tls), off when unset. CERT/KEY: this service's certificate
    # (served by a gRPC server; presented as client certificate when it calls others). CA: the
    # CA of the peers (a client verifies servers with it; a server verifies client certificates
    # with it when REQUIRE_CLIENT_CERT). Clients use TLS when the CA is set. Files are re-read
    # when they change.
    grpc_tls_cert_file: Path | None = None
    grpc_tls_key_file: Path | None = None
    grpc_tls_ca_file: Path | None = None
    grpc_tls_require_client_cert: bool = False

    @model_validator(mode="after")
    def _tls_files_pair_up(self) -> ServiceSettings:
        if (self.grpc_tls_cert_file is None) != (self.grpc_tls_key_file is None):
            raise ValueError("GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE are set together")
        if self.grpc_tls_require_client_cert and self.grpc_tls_ca_file is None:
            raise ValueError("GRPC_TLS_REQUIRE_CLIENT_CERT needs GRPC_TLS_CA_FILE")
        for path in (self.grpc_tls_cert_file, self.grpc_tls_key_file, self.grpc_tls_ca_file):
            if path is not None and not path.is_file():
                raise ValueError(f"TLS file {path} does not exist")
        return self


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
