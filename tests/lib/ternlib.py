"""Shared helpers for tern's Python tests: TAP output (filled in by the harness)."""
