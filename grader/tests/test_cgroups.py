"""Control groups: the limits written for each hierarchy, and a group's processes killed to the last."""

import os
import subprocess
import sys

import pytest
from dlkit_grader import cgroups

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="control groups are made by root")


@needs_root
def test_v2_gets_memory_processes_and_one_cpu_together(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    groups = cgroups.ControlGroups.find(tmp_path)
    assert groups.version == 2

    (folder,) = groups.create("job-1", memory_mb=1536, max_processes=64)

    assert folder == tmp_path / "dlkit-grade" / "job-1"
    written = {path.name: path.read_text() for path in folder.iterdir()}
    assert written == {
        "memory.max": str(1536 * 2**20),
        "memory.swap.max": "0",
        "pids.max": "64",
        "cpu.weight": "100",
        "cpu.max": "100000 100000",
    }
    assert (tmp_path / "dlkit-grade" / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"


@needs_root
def test_no_hierarchy_without_the_controllers(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpuset io\n")
    assert cgroups.ControlGroups.find(tmp_path) is None


@needs_root
def test_every_process_of_a_group_is_killed_and_the_group_removed():
    groups = cgroups.ControlGroups.find()
    if groups is None:
        pytest.skip("no writable cgroup memory, pids and cpu controllers here")
    folders = groups.create(f"test-{os.getpid()}", memory_mb=256, max_processes=16)
    # A parent that starts a child in a session of its own (as a student's code might) and exits.
    script = "import subprocess; subprocess.Popen(['sleep', '60'], start_new_session=True)"
    parent = subprocess.Popen([sys.executable, "-c", script], preexec_fn=lambda: cgroups.join(folders))
    parent.wait()

    assert cgroups.kill(folders) == 1
    assert not any(folder.exists() for folder in folders)
