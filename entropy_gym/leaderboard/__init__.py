"""Leaderboard tables, JSON, plots and the static site.

* :mod:`~entropy_gym.leaderboard.build`: stored rows -> results (a pure function).
* :mod:`~entropy_gym.leaderboard.publish`: ``leaderboards/<suite>/`` files and the site.
* :mod:`~entropy_gym.leaderboard.check`: does a committed leaderboard reproduce?
"""
