"""Python's cyclic garbage collector, tuned for a process that serves many small requests.

With the default threshold (a young collection every 700 net new container objects) a
request-serving process collects every few dozen requests, and every collection walks the
objects of all requests in flight (they are young) only to find them alive and promote them,
so the next-older collection walks them again. Under `bench:http` that was about 3 % of the
gateway's CPU (measured with `gc.callbacks`, the collections finding almost nothing to free).
A young collection every GEN0_THRESHOLD objects runs only when cyclic garbage really
accumulates; the few megabytes it may hold meanwhile are nothing next to a service's heap.

`gc.freeze()` after start-up moves what the imports built (modules, protobuf descriptors,
OpenTelemetry and gRPC state: most of the heap) out of the collector's sight, so the rare full
collection does not walk it either (a full collection of that heap takes tens of
milliseconds: a latency spike for every request in flight).
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 20_000


def tune_for_serving() -> None:
    """Call once start-up is done, before serving."""
    gc.collect()  # what start-up left as garbage, so that freezing keeps none of it
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
