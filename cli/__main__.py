"""``python -m agentstate.cli``."""

import sys

from agentstate.cli import main

sys.exit(main())
