"""Agents for text tool tasks: the oracle solver, the random agent over admissible calls, and
the admissible-call bookkeeping that agents scoring candidates share."""
