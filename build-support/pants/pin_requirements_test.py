"""pin_requirements takes exactly the files of the pinned version, parsed per PEP 427 / sdist rules."""

from __future__ import annotations

from typing import Any

from pin_requirements import is_file_of, select_hashes


def _files(*names: str) -> list[dict[str, Any]]:
    return [{"filename": name, "hashes": {"sha256": f"sha-of-{name}"}} for name in names]


def test_foo_1_2_does_not_take_foo_1_2_1() -> None:
    files = _files(
        "foo-1.2.tar.gz",
        "foo-1.2-py3-none-any.whl",
        "foo-1.2.1.tar.gz",
        "foo-1.2.1-py3-none-any.whl",
        "foo-1.2.1-cp39-cp39-manylinux2014_x86_64.whl",
    )
    assert select_hashes(files, "foo", "1.2") == [
        "sha-of-foo-1.2-py3-none-any.whl",
        "sha-of-foo-1.2.tar.gz",
    ]
    assert len(select_hashes(files, "foo", "1.2.1")) == 3


def test_names_are_compared_normalized_and_whole() -> None:
    # pantsbuild.pants publishes pantsbuild.pants-*.tar.gz and pantsbuild_pants-*.whl.
    assert is_file_of(
        "pantsbuild_pants-2.17.1-cp39-cp39-macosx_11_0_arm64.whl", "pantsbuild.pants", "2.17.1"
    )
    assert is_file_of("pantsbuild.pants-2.17.1.tar.gz", "pantsbuild.pants", "2.17.1")
    assert is_file_of("PyYAML-6.0.3.zip", "pyyaml", "6.0.3")
    # Another project whose name starts with the pinned one.
    assert not is_file_of("foo_bar-1.2-py3-none-any.whl", "foo", "1.2")
    assert not is_file_of("foo-bar-1.2.tar.gz", "foo", "1.2")


def test_files_pip_would_not_install_are_ignored() -> None:
    assert not is_file_of("foo-1.2-py3.9.egg", "foo", "1.2")
    assert not is_file_of("foo-1.2.win-amd64.exe", "foo", "1.2")
