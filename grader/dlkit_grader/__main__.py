"""``python -m dlkit_grader``: the same as ``dlkit-grade``."""

from .cli import main

raise SystemExit(main())
