"""Calling another service through a Dapr sidecar: the client connects to its own sidecar
(localhost:DAPR_GRPC_PORT) and names the target app in `dapr-app-id` metadata on every call
(keep.platform.tls.client_channel adds it); the sidecars carry the call over mutual TLS to the
target's sidecar, which hands it to the app (gRPC proxying)."""

from __future__ import annotations

APP_ID_METADATA = "dapr-app-id"
