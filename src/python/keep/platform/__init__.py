"""Keep's service platform: one way to configure, observe, serve and stop every service."""
