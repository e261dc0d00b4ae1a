"""Imported by the cell fork server only (see :data:`entropy_gym.runner.worker.PRELOAD`): it
makes the server die with the runner (``PR_SET_PDEATHSIG``; the cells it forks die with it in
turn, so a runner killed even with ``kill -9`` leaves no cell running), and computes the
process provenance once (git state, library versions), so that every forked cell inherits it
instead of running git again. Nothing else imports this module."""

from entropy_gym.runner import provenance
from entropy_gym.runner.worker import _die_with_parent

_die_with_parent()
provenance.warm()
