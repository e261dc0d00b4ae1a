"""Leaderboard tables, JSON, plots and the static site."""
