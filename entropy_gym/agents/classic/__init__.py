"""Agents that need no neural network: uniform random and the classic bandit algorithms."""
