"""``python -m entropy_gym`` is the ``entropy-gym`` command."""

import sys

from entropy_gym.cli import main

sys.exit(main())
