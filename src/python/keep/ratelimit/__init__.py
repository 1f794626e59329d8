"""Keep's rate limit service: Envoy RLS v3 over gRPC, fixed windows counted in Redis."""
