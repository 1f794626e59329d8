"""Every package has the same shape: its sources are `:lib` and its tests `:tests`, so an
address can be written without opening the BUILD file (issue 16). And the BUILD reader the
offline checks share: names, macros, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from keep.cicheck import build_targets

ROOT = Path(".")
EXPECTED_NAMES = {"python_sources": "lib", "python_tests": "tests"}


def test_every_python_target_is_named_lib_or_tests() -> None:
    directories = build_targets.build_directories(ROOT)
    assert "src/python/keep/platform" in directories, directories
    misnamed = [
        f"{t.directory}/BUILD: {t.type}(name={t.name!r}), expected name={EXPECTED_NAMES[t.type]!r}"
        for d in directories
        for t in build_targets.targets_in(ROOT, d)
        if t.type in EXPECTED_NAMES and t.name != EXPECTED_NAMES[t.type]
    ]
    assert not misnamed, "\n".join(misnamed)


def test_names_default_to_the_directory_and_macros_expand(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/BUILD").write_text(
        'python_sources()\npython_service(name="svc", ports=[1])\n'
        'file(name="blob", source=http_source("https://example.invalid/x", len=1, sha256="0"))\n'
    )
    found = [(t.type, t.name) for t in build_targets.targets_in(tmp_path, "pkg")]
    assert found == [
        ("python_sources", "pkg"),
        ("pex_binary", "svc"),
        ("pex_binary", "svc-deps"),
        ("docker_image", "image"),
        ("file", "blob"),  # a non-literal field is left out, the target is still listed
    ]


def test_an_override_replaces_the_field_for_the_files_it_matches(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/BUILD").write_text(
        'python_tests(\n    name="tests",\n    tags=["all"],\n    overrides={\n'
        '        ("a_test.py", "b_test.py"): {"tags": ["pair"]},\n'
        '        "*_slow_test.py": {"timeout": 900},\n    },\n)\n'
    )
    for name in ("a_test.py", "b_test.py", "c_test.py", "d_slow_test.py", "helper.py"):
        (tmp_path / "pkg" / name).write_text("")
    owned = build_targets.python_test_files(tmp_path)
    assert sorted(str(p) for p in owned) == [
        "pkg/a_test.py",
        "pkg/b_test.py",
        "pkg/c_test.py",
        "pkg/d_slow_test.py",
    ]
    target = owned[Path("pkg/a_test.py")]
    assert target.field_for("a_test.py", "tags") == ["pair"]
    assert target.field_for("c_test.py", "tags") == ["all"]
    assert target.field_for("d_slow_test.py", "tags") == ["all"]
    assert target.field_for("d_slow_test.py", "timeout") == 900


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (":image", ("src/x", "image")),
        ("src/y:image", ("src/y", "image")),
        ("//src/y:image", ("src/y", "image")),
        ("src/y", ("src/y", "y")),
        ("//:readmes", ("", "readmes")),
    ],
)
def test_resolve_addresses_as_a_build_file_writes_them(
    address: str, expected: tuple[str, str]
) -> None:
    assert build_targets.resolve(address, "src/x") == expected
