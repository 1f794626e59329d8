"""Test support shared by every service's tests (real dependencies, never stand-ins)."""
