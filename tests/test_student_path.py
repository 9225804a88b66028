"""The student's path: their notebooks live in my-work/, which nothing of the repository touches, and their
JupyterLab offers Validate and none of the instructor's tools."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.fixture
def checkout(tmp_path):
    """A copy of what `make course` needs: the Makefile, course/ and the student's Jupyter settings."""
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copytree(ROOT / "course", tmp_path / "course")
    return tmp_path


def _make(checkout, *targets):
    return subprocess.run(["make", "--no-print-directory", *targets], cwd=checkout, check=True,
                          capture_output=True, text=True).stdout


def test_the_first_run_copies_every_notebook_into_my_work(checkout):
    output = _make(checkout, "my-work")
    for folder in (checkout / "course").iterdir():
        copied = checkout / "my-work" / folder.name / f"{folder.name}.ipynb"
        assert copied.read_bytes() == (folder / f"{folder.name}.ipynb").read_bytes()
        assert f"new in my-work/: {folder.name}" in output


def test_a_students_work_is_never_overwritten_and_new_notebooks_are_added_beside_it(checkout):
    _make(checkout, "my-work")
    mine = checkout / "my-work" / "01_perceptron" / "01_perceptron.ipynb"
    mine.write_text('{"my": "answers"}')
    (checkout / "my-work" / "01_perceptron" / "notes.txt").write_text("scratch")
    new = checkout / "course" / "99_next"
    new.mkdir()
    (new / "99_next.ipynb").write_text("{}")
    output = _make(checkout, "my-work")
    assert mine.read_text() == '{"my": "answers"}'
    assert (checkout / "my-work" / "01_perceptron" / "notes.txt").read_text() == "scratch"
    assert (checkout / "my-work" / "99_next" / "99_next.ipynb").read_text() == "{}"
    assert output.strip() == "new in my-work/: 99_next"


def test_git_ignores_my_work():
    work = "my-work/01_perceptron/01_perceptron.ipynb"
    ignored = subprocess.run(["git", "check-ignore", "-q", work], cwd=ROOT)
    assert ignored.returncode == 0


@pytest.mark.parametrize("target", ["release", "test", "lint", "clean"])
def test_no_other_command_of_the_repository_touches_my_work(target):
    commands = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
    assert "my-work" not in commands and "$(WORK)" not in commands


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def student_server(tmp_path_factory):
    """JupyterLab as `make course` starts it (the student's settings), on my-work/ with the blank 01."""
    work = tmp_path_factory.mktemp("my-work")
    shutil.copytree(ROOT / "course" / "01_perceptron", work / "01_perceptron")
    port, token = _free_port(), "student-path-test"
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(ROOT / "jupyter" / "student"),
               JUPYTER_CONFIG_DIR=str(tmp_path_factory.mktemp("user-config")))
    env.pop("NBGRADER_EXECUTION", None)
    jupyter = Path(sys.executable).parent / "jupyter"
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(base, token, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the student's JupyterLab did not start within 60 s")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get(base, token, path, data=None):
    request = urllib.request.Request(base + path, data=data, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read().decode()


@pytest.mark.parametrize("path", ["/formgrader", "/assignments", "/courses"])
def test_the_instructors_server_tools_are_not_there(student_server, path):
    with pytest.raises(urllib.error.HTTPError) as info:
        _get(*student_server, path)
    assert info.value.code == 404


def test_the_instructors_lab_panels_are_disabled(student_server):
    page = _get(*student_server, "/lab")
    config = json.loads(page.split('id="jupyter-config-data"')[1].split(">", 1)[1].split("</script>")[0])
    disabled = set(config["disabledExtensions"])
    for plugin in ("formgrader", "create-assignment", "course-list", "assignment-list"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled


def test_validate_gives_the_students_messages(student_server):
    reply = json.loads(_get(*student_server, "/assignments/validate",
                            data=b"path=01_perceptron/01_perceptron.ipynb"))
    assert reply["success"], reply["value"]
    failed = reply["value"]["failed"]
    errors = "\n".join(failure["raw_error"] for failure in failed)
    assert len(failed) == 3
    for name in ("step", "perceptron_output", "train_perceptron"):
        assert f"CheckFailed: {name} is not written yet." in errors
    assert "Traceback" not in errors and "grading.py" not in errors
