"""``mujoco.mjx``, imported without the two lines it prints when MuJoCo Warp is not installed
(``Failed to import warp: ...``): Warp is optional, and ``backend="warp"`` says so itself where
it is missing. Anything else the import prints is passed on."""

from __future__ import annotations

import contextlib
import io
import sys

#: What MJX prints when it is imported without MuJoCo Warp.
WARP_NOTICES = ("Failed to import warp:", "Failed to import mujoco_warp:")

with contextlib.redirect_stdout(io.StringIO()) as _printed:
    from mujoco import mjx

for _line in _printed.getvalue().splitlines():
    if not _line.startswith(WARP_NOTICES):
        print(_line, file=sys.stdout)

__all__ = ["mjx"]
