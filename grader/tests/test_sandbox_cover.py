"""`sandbox.cover`: what a kernel's own mount namespace hides, wherever the course and Python environment lie.

An instructor may keep the course, or its Python environment, under /tmp: the kernel's empty /tmp must still
bring back the environment, and nothing else: not the course, not what lies beside the environment.
"""

import glob
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from dlkit_grader import sandbox

pytestmark = pytest.mark.skipif(
    not (sandbox.is_root() and shutil.which("unshare") and sys.platform.startswith("linux")),
    reason="a private mount namespace needs Linux, root and util-linux unshare",
)

IN_NAMESPACE = """
import json, os, sys
from pathlib import Path
from dlkit_grader import sandbox

kept, course, elsewhere, beside = map(Path, sys.argv[1:5])
covered = [
    sandbox.cover(Path("/tmp"), [kept], "size=1m,nr_inodes=50,mode=1777", exact=True),
    sandbox.cover(course, [kept], exact=True),
    sandbox.cover(Path("/no/such/folder"), []),
]
try:
    Path("/tmp/big").write_bytes(b"x" * 2 * 2**20)
    full = False
except OSError:
    full = True
print(json.dumps({
    "covered": covered,
    "kept": kept.read_text(),
    "course": os.path.exists(course / "solutions.txt"),
    "elsewhere": os.path.exists(elsewhere),
    "beside": os.path.exists(beside),
    "tmp_is_bounded": full,
}))
"""


@pytest.fixture
def in_tmp():
    """A folder in /tmp itself, wherever pytest keeps its own."""
    folder = Path(tempfile.mkdtemp(prefix="dlkit-cover-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder)


def test_a_covered_tmp_brings_back_the_environment_and_hides_the_rest(in_tmp):
    kept = in_tmp / "env" / "bin" / "python"
    kept.parent.mkdir(parents=True)
    kept.write_text("the interpreter")
    beside = in_tmp / "env" / "notes.txt"
    beside.write_text("not part of the environment")
    (in_tmp / "course").mkdir()
    (in_tmp / "course" / "solutions.txt").write_text("the solutions")
    elsewhere = Path(tempfile.mkdtemp(prefix="dlkit-elsewhere-", dir="/tmp"))
    stages_before = set(glob.glob("/*/dlkit-stage-*") + glob.glob("/*/*/dlkit-stage-*"))
    try:
        outcome = subprocess.run(
            [
                "unshare",
                "-m",
                sys.executable,
                "-c",
                IN_NAMESPACE,
                str(kept),
                str(in_tmp / "course"),
                str(elsewhere),
                str(beside),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        elsewhere.rmdir()
    assert outcome.returncode == 0, outcome.stderr
    assert json.loads(outcome.stdout) == {
        "covered": [True, True, True],
        "kept": "the interpreter",
        "course": False,
        "elsewhere": False,
        "beside": False,
        "tmp_is_bounded": True,
    }
    # The host's folders are untouched, and no stage folder is left behind.
    assert (in_tmp / "course" / "solutions.txt").exists()
    assert set(glob.glob("/*/dlkit-stage-*") + glob.glob("/*/*/dlkit-stage-*")) == stages_before
