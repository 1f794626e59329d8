from __future__ import annotations

import logging
from pathlib import Path

import pytest

from keep.ratelimit.config import LimitsConfigError
from keep.ratelimit.matching import Limits
from keep.ratelimit.sources import LAST_RELOAD_OK, RELOADS, LimitsWatcher, load_limits

KEEP = "domain: keep\ndescriptors:\n  - key: remote_address\n    rate_limit: {unit: second, requests_per_unit: %d}\n"
OTHER = "domain: other\ndescriptors:\n  - key: user\n    rate_limit: {unit: minute, requests_per_unit: 5}\n"


def _requests(limits: Limits) -> int | None:
    match = limits.find("keep", [("remote_address", "192.0.2.1")])
    return None if match is None else match.limit.requests_per_unit


def test_a_directory_holds_one_domain_per_file_and_ignores_the_rest(tmp_path: Path) -> None:
    (tmp_path / "keep.yaml").write_text(KEEP % 50)
    (tmp_path / "other.yml").write_text(OTHER)
    (tmp_path / "notes.txt").write_text("not limits")
    (tmp_path / ".hidden.yaml").write_text("broken: [")
    limits = load_limits(tmp_path)
    assert set(limits.domains) == {"keep", "other"}
    assert limits.find("other", [("user", "bob")]) is not None


def test_the_same_domain_in_two_files_is_an_error_unless_merging(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(KEEP % 50)
    (tmp_path / "b.yaml").write_text(
        "domain: keep\ndescriptors:\n  - key: user\n    rate_limit: {unit: second, requests_per_unit: 1}\n"
    )
    with pytest.raises(LimitsConfigError, match="duplicate domain 'keep'"):
        load_limits(tmp_path)
    merged = load_limits(tmp_path, merge_domains=True)
    assert merged.find("keep", [("user", "x")]) is not None and _requests(merged) == 50


def test_an_empty_directory_and_binary_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(LimitsConfigError, match="no \\*.yaml or \\*.yml limits files"):
        load_limits(tmp_path)
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LimitsConfigError, match="not UTF-8 text"):
        load_limits(tmp_path)


def _configmap(root: Path, text: str, version: str) -> None:
    """What the kubelet does on a ConfigMap update: a new timestamped directory, then the
    `..data` symlink swapped to it; the visible file is a symlink through `..data`."""
    (root / version).mkdir()
    (root / version / "limits.yaml").write_text(text)
    (root / "..data_tmp").symlink_to(version)
    (root / "..data_tmp").replace(root / "..data")
    if not (root / "limits.yaml").is_symlink():
        (root / "limits.yaml").symlink_to("..data/limits.yaml")


def test_configmap_updates_reload_and_bad_edits_keep_the_last_good_limits(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _configmap(tmp_path, KEEP % 50, "..v1")
    applied: list[Limits] = []
    watcher = LimitsWatcher(tmp_path, applied.append, interval=0.01)
    errors_before = RELOADS.labels("error")._value.get()

    assert watcher.check() is None  # nothing changed
    _configmap(tmp_path, KEEP % 7, "..v2")
    assert watcher.check() is True
    assert _requests(applied[-1]) == 7 and LAST_RELOAD_OK._value.get() == 1

    with caplog.at_level(logging.ERROR):
        _configmap(tmp_path, KEEP.replace("second", "fortnight") % 9, "..v3")
        assert watcher.check() is False
        assert watcher.check() is None  # the same bad version is reported once
    assert len(applied) == 1  # the last good limits stay in use
    assert LAST_RELOAD_OK._value.get() == 0
    assert RELOADS.labels("error")._value.get() == errors_before + 1
    assert "keeping the last good ones" in caplog.text and "fortnight" in caplog.text

    _configmap(tmp_path, KEEP % 7, "..v4")  # the edit reverted: healthy again, nothing to apply
    assert watcher.check() is None and LAST_RELOAD_OK._value.get() == 1
    _configmap(tmp_path, KEEP % 3, "..v5")
    assert watcher.check() is True and _requests(applied[-1]) == 3
