"""The environment variables each service reads, from its own `Settings` class.

pydantic-settings maps every field to an env var (`env_prefix` + name; Keep's settings are
case-insensitive, so the manifests' upper-case names compare upper-cased). Reading
`model_fields` asks the class itself, so inheritance, aliases and `ClassVar`s are pydantic's
business, not a parser's.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings

from keep.datastorage.settings import Settings as DatastorageSettings
from keep.gateway.settings import Settings as GatewaySettings
from keep.ratelimit.settings import Settings as RatelimitSettings

SETTINGS: dict[str, type[BaseSettings]] = {
    "datastorage": DatastorageSettings,
    "gateway": GatewaySettings,
    "ratelimit": RatelimitSettings,
}


def env_vars(settings: type[BaseSettings]) -> set[str]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else None
        names.add((alias or prefix + name).upper())
    return names


def service_env_vars(service: str) -> set[str]:
    """The env vars of keep.<service>.settings.Settings; KeyError for a service Keep lacks."""
    return env_vars(SETTINGS[service])
