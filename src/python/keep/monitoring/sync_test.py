from __future__ import annotations

from keep.monitoring import sources, sync


def test_component_copies_match_deploy_monitoring() -> None:
    root = sources.repo_root()
    stale = [
        str(path)
        for path, content in sync.expected_files().items()
        if not (root / path).is_file() or (root / path).read_text() != content
    ]
    assert not stale, f"stale: {stale}; run `./pants run src/python/keep/monitoring:sync`"
