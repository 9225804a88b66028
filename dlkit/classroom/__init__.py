"""Moved: the class grader is now the package ``dlkit_grader`` (command ``dlkit-grade``), in ``grader/``.

Only ``python -m dlkit.classroom.cli`` is kept, as an alias of ``dlkit-grade``.
"""
