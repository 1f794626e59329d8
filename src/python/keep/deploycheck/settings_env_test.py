from typing import ClassVar

from pydantic import Field

from keep.deploycheck.contract import SERVICES
from keep.deploycheck.settings_env import SETTINGS, env_vars, service_env_vars
from keep.platform.settings import ServiceSettings


class _Fake(ServiceSettings):
    grpc_port: int = 50051
    redis_url: str = "redis://localhost:6379/0"
    renamed: str = Field(default="", validation_alias="OTHER_NAME")
    VERSION: ClassVar[str] = "x"


def test_fields_of_the_class_and_its_bases_are_env_vars() -> None:
    names = env_vars(_Fake)
    assert {"LOG_LEVEL", "METRICS_PORT", "SHUTDOWN_GRACE_SECONDS"} <= names  # from the base
    assert {"GRPC_PORT", "REDIS_URL", "OTHER_NAME"} <= names
    assert "VERSION" not in names and "RENAMED" not in names


def test_every_deployed_service_has_its_settings_here() -> None:
    assert set(SETTINGS) == set(SERVICES)
    assert "RATELIMIT_CONFIG" in service_env_vars("ratelimit")
    assert "REDIS_URL" in service_env_vars("datastorage")
