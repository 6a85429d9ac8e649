"""``python -m bidtool`` is ``bidtool``."""
import sys

from bidtool.cli import main

sys.exit(main())
