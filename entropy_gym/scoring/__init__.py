"""Metrics, normalisation and aggregate statistics."""
