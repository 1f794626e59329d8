import pytest

from keep.platform.settings import ServiceSettings, SettingsError, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LOG_LEVEL", "METRICS_PORT", "SHUTDOWN_GRACE_SECONDS"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings(ServiceSettings)
    assert (settings.log_level, settings.metrics_port, settings.shutdown_grace_seconds) == (
        "INFO",
        9100,
        20.0,
    )


def test_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_PORT", "9200")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = load_settings(ServiceSettings)
    assert settings.metrics_port == 9200
    assert settings.log_level == "DEBUG"


def test_bad_values_name_every_variable_but_not_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_PORT", "not-a-port-s3cr3t")
    monkeypatch.setenv("SHUTDOWN_GRACE_SECONDS", "-1")
    with pytest.raises(SettingsError) as error:
        load_settings(ServiceSettings)
    message = str(error.value)
    assert "METRICS_PORT" in message
    assert "SHUTDOWN_GRACE_SECONDS" in message
    assert "greater than or equal to 0" in message
    assert "s3cr3t" not in message
