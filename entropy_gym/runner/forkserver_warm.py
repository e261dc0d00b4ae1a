"""Imported by the cell fork server only (see :data:`entropy_gym.runner.worker.PRELOAD`): it
computes the process provenance once (git state, library versions), so that every forked
cell inherits it instead of running git again. Nothing else imports this module."""

from entropy_gym.runner import provenance

provenance.warm()
