"""Process entry point: `datastorage` (the pex_binary) and `python -m keep.datastorage.main`."""

from __future__ import annotations

import asyncio
import sys

from keep.datastorage.expiry_ledger import ExpiryLedger
from keep.datastorage.service import DataStorageService
from keep.datastorage.settings import Settings
from keep.datastorage.store import LockoutPolicy, Replication, SecretStore
from keep.datastorage.v1 import datastorage_pb2, datastorage_pb2_grpc
from keep.platform.redis import connect
from keep.platform.server import GrpcService, run
from keep.platform.settings import SettingsError, load_settings

# Room for the payload plus the protobuf framing around it; bigger messages are refused by
# gRPC itself (RESOURCE_EXHAUSTED) before they reach the service.
_MESSAGE_OVERHEAD_BYTES = 4096


def build_service(settings: Settings) -> GrpcService:
    """Runs inside the event loop: it starts the expiry ledger's sweeper."""
    # No retries in the client: the store repeats its idempotent calls itself (store.py).
    # Pipelined: each request makes several small Redis calls, and sending them one write per
    # call was most of the service's CPU time (docs/benchmarks.md).
    redis = connect(
        str(settings.redis_url),
        settings.redis_timeout_seconds,
        cluster=settings.redis_cluster,
        pipelined=True,
    )
    store = SecretStore(
        redis,
        LockoutPolicy(
            lock_threshold=settings.lockout_threshold,
            window_seconds=settings.lockout_window_seconds,
            lock_seconds=settings.lockout_seconds,
            tombstone_seconds=settings.tombstone_seconds,
        ),
        settings.redis_timeout_seconds,
        Replication(settings.redis_wait_replicas, settings.redis_wait_timeout_ms),
    )
    ledger = ExpiryLedger(redis)
    sweeper = asyncio.get_running_loop().create_task(ledger.run())
    servicer = DataStorageService(
        store, settings.max_payload_bytes, settings.default_ttl_seconds, ledger
    )

    async def cleanup() -> None:
        sweeper.cancel()
        await ledger.flush()  # the last changes of this replica
        await store.close()

    return GrpcService(
        name="datastorage",
        port=settings.grpc_port,
        register=lambda server: datastorage_pb2_grpc.add_DataStorageServiceServicer_to_server(
            servicer, server
        ),
        service_names=[datastorage_pb2.DESCRIPTOR.services_by_name["DataStorageService"].full_name],
        readiness=store.ping,
        cleanup=cleanup,
        grpc_options=[
            (
                "grpc.max_receive_message_length",
                settings.max_payload_bytes + _MESSAGE_OVERHEAD_BYTES,
            )
        ],
    )


def main() -> None:
    try:
        settings = load_settings(Settings)
    except SettingsError as e:
        sys.exit(f"datastorage: {e}")
    run("datastorage", settings, lambda: build_service(settings))


if __name__ == "__main__":
    main()
