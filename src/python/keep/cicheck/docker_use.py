"""Which tests need Docker, read from their source and BUILD file: the one rule behind the
`docker` tag. Every test that needs Docker carries the tag, no other does, so
`./pants --tag=-docker test ::` runs everything that works without a Docker engine.

A test needs Docker when
- it imports the Docker SDK (`docker`) or `testcontainers`, itself, through its conftest.py files
  or through any Keep module it imports (keep.testing.redis_container, keep.testing.images...);
  another test module it imports is not followed: the tests it borrows run with this module's
  fixtures (the Redis Cluster suites re-run the single-Redis tests on local redis-servers);
- it runs the docker CLI itself: a call whose first argument is a list starting with "docker"
  (`subprocess.run(["docker", ...])`); or
- its BUILD target packages a docker_image before it runs (`runtime_package_dependencies`).

Reading source keeps the check offline and instant. It over-approximates (an import counts even
if nothing from it is called), which costs only a tag; it cannot see Docker reached through a
shell script, which no test does today.
"""

from __future__ import annotations

import ast
from pathlib import Path

from keep.cicheck.build_targets import Target, resolve, targets_in

TAG = "docker"
DOCKER_MODULES = {"docker", "testcontainers"}


def _imported_modules(tree: ast.Module) -> list[str]:
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from a.b import c` may import the module a.b.c or the name c of a.b.
            modules += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return modules


def _module_file(roots: list[Path], module: str) -> Path | None:
    relative = Path(*module.split("."))
    for root in roots:
        for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _runs_docker_cli(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            argv = node.args[0]
            if (
                isinstance(argv, ast.List | ast.Tuple)
                and argv.elts
                and isinstance(argv.elts[0], ast.Constant)
                and argv.elts[0].value == "docker"
            ):
                return True
    return False


def _is_test_module(path: Path) -> bool:
    return path.name.endswith("_test.py") or path.name.startswith("test_")


def _conftests(test: Path, source_roots: list[Path]) -> list[Path]:
    """The conftest.py files pytest loads for `test`: its directory's and its parents' up to the
    source root."""
    root = next((r for r in source_roots if r in test.parents), test.parent)
    directories = [test.parent, *(p for p in test.parent.parents if root in p.parents or p == root)]
    return [d / "conftest.py" for d in directories if (d / "conftest.py").is_file()]


def _import_reason(test: Path, source_roots: list[Path]) -> str | None:
    """Why the test imports Docker's client, following Keep's own modules breadth-first."""
    queue: list[tuple[Path, str]] = [(test, "")]
    queue += [(c, f" (through {c.name})") for c in _conftests(test, source_roots)]
    seen = {path for path, _ in queue}
    while queue:
        path, via = queue.pop(0)
        for module in _imported_modules(ast.parse(path.read_text())):
            if module.split(".")[0] in DOCKER_MODULES:
                return f"imports {module}{via}"
            found = _module_file(source_roots, module)
            if found and found not in seen and not _is_test_module(found):
                seen.add(found)
                queue.append((found, via or f" (through {module})"))
    return None


def _image_dependencies(root: Path, target: Target, filename: str) -> list[str]:
    images = []
    for address in target.field_for(filename, "runtime_package_dependencies", []):
        directory, name = resolve(address, target.directory)
        if any(t.name == name and t.type == "docker_image" for t in targets_in(root, directory)):
            images.append(address)
    return images


def reason(root: Path, test: Path, target: Target, source_roots: list[Path]) -> str | None:
    """Why the test file `test` (relative to root, owned by `target`) needs Docker, or None."""
    images = _image_dependencies(root, target, test.name)
    if images:
        return f"packages {', '.join(images)} before it runs"
    if _runs_docker_cli(ast.parse((root / test).read_text())):
        return "runs the docker CLI"
    return _import_reason(root / test, source_roots)


def tagged(target: Target, filename: str) -> bool:
    return TAG in target.field_for(filename, "tags", [])
