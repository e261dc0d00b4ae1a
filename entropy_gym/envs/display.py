"""Whether a window can open here: what ``render_mode="human"`` needs."""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    """Always on macOS and Windows; elsewhere an X11 or Wayland display must be named in the
    environment (``DISPLAY`` or ``WAYLAND_DISPLAY``)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
