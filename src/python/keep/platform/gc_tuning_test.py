from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from keep.platform.gc_tuning import GEN0_THRESHOLD, tune_for_serving


@pytest.fixture(autouse=True)
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_start_up_objects_are_frozen_and_young_collections_are_rarer() -> None:
    tune_for_serving()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == GEN0_THRESHOLD


def test_cyclic_garbage_is_still_collected_without_asking() -> None:
    tune_for_serving()
    first = _Node()
    first.other = _Node()
    first.other.other = first
    freed = weakref.ref(first)
    del first
    # Only a collection frees a cycle; allocating past the threshold must trigger one.
    keep = []
    for _ in range(3 * GEN0_THRESHOLD):
        keep.append(_Node())
        if freed() is None:
            break
    assert freed() is None
