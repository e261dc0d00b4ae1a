"""Suites -> cells -> backends (local, ray) -> store."""
