"""Deprecated alias of ``dlkit-grade`` (``python -m dlkit_grader.cli``), kept for old scripts."""

import sys
import warnings

try:
    from dlkit_grader.cli import main
except ImportError as error:  # the grader is a package of its own since it left dlkit
    raise ImportError(
        "the class grader moved to the package dlkit_grader: install it with `pip install -e ./grader` "
        "(or `make .venv/.installed`) and run `dlkit-grade`"
    ) from error

if __name__ == "__main__":
    warnings.warn(
        "`python -m dlkit.classroom.cli` is deprecated: run `dlkit-grade` (or `python -m dlkit_grader.cli`)",
        DeprecationWarning,
        stacklevel=1,
    )
    sys.exit(main())
