"""How pytest-xdist shares the test suite among its workers (``-n auto --dist loadscope``, pyproject.toml).

``loadscope`` keeps the tests of a module, or of a class, together in one worker: a module-scoped fixture (a
graded class, a running Jupyter server) is built once, and nbval runs a notebook's cells in order, in one
kernel. The longest tests, the student corpora (one class per notebook in test_student_corpus.py, each
grading its corpus through nbgrader), go first, so that the workers start on them at once and share the
rest afterwards.
"""

import pytest

LONGEST = "test_student_corpus.py"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name != LONGEST)  # stable: the rest keeps its order
