"""The instructor's path on a fresh clone, word for word: every command of the README's Instructor guide,
run in the order written, succeeds; Formgrader answers before anything is graded; after grading a class,
git status shows no change.

The clone is a git repository of this working tree's files (tracked and untracked, not ignored), sharing this
environment's packages through a `.venv/` of links. The commands are the lines of the guide's ``bash`` blocks;
the prose steps between them are done as the guide says: "by hand, copy each notebook to the path above"
before the first `nbgrader autograde`, and the files a command names under `~/Downloads/` are made as the
platform would name and fill them. `make test` is skipped (it is what runs this test). One run is shared by
the tests below (a module fixture): it takes a minute or two.
"""

import csv
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
from dlkit_grader.samples import answered_release, grade_id

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "01_perceptron"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
TOKEN = "instructor-path-test"
BOOLEAN_STEP = "def step(z):\n    return np.asarray(z) > 0\n"  # the commonest mistake of exercise 1


def guide_commands() -> list[str]:
    """The commands of the README's Instructor guide, in order: the lines of its ``bash`` blocks."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = text[text.index("## Instructor guide") : text.index("## Conda instead of pip")]
    commands = []
    for block in re.findall(r"^\s*```bash\n(.*?)^\s*```", guide, flags=re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_clone(folder: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = ROOT / name
        if source.is_file():  # files deleted but not yet committed are listed too
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    # This environment's packages, behind a .venv/ of links with a fresh stamp: `make` finds it installed.
    (folder / ".venv").mkdir()
    for entry in Path(sys.prefix).iterdir():
        if entry.name != ".installed":
            (folder / ".venv" / entry.name).symlink_to(entry)
    (folder / ".venv" / ".installed").touch()
    git = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "a fresh clone"]):
        subprocess.run([*git, *command], cwd=folder, check=True, capture_output=True)
    return folder


def _submissions(clone: Path) -> dict[str, nbformat.NotebookNode]:
    """The solved notebook, and one whose step returns booleans."""
    released = nbformat.read(clone / "course" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solved = answered_release(
        released, nbformat.read(clone / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4)
    )
    booleans = nbformat.from_dict(json.loads(nbformat.writes(solved)))
    next(cell for cell in booleans.cells if grade_id(cell) == "step").source = BOOLEAN_STEP
    return {"solved": solved, "booleans": booleans}


def _make_download(path: Path, lms: str, roster: bool, notebooks: dict) -> None:
    """A file as Moodle or Canvas would give it: the submissions zip, or the roster to download."""
    if path.exists():
        return
    # One student each (the by-hand one is solved): grading runs cost seconds per notebook.
    people = {
        "moodle": [("Ana López", "234567", "ana@uni.edu", "booleans")],
        "canvas": [("Roe, Sam", "13579", "sroe", "booleans")],
    }[lms]
    rows = []
    if roster and lms == "moodle":
        rows.append(
            [
                "Identifier",
                "Full name",
                "Email address",
                "Status",
                "Grade",
                "Maximum Grade",
                "Grade can be changed",
                "Last modified (submission)",
                "Last modified (grade)",
                "Feedback comments",
            ]
        )
        rows += [
            [f"Participant {i}", name, mail, "Submitted for grading", "", "100.00", "Yes", "-", "-", ""]
            for name, i, mail, _ in people
        ]
    elif roster:
        rows.append(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{ASSIGNMENT} (4567)"])
        rows.append(["    Points Possible", "", "", "", "", "10.00"])
        rows += [[name, i, f"S{i}", login, "Section A", ""] for name, i, login, _ in people]
    if roster:
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle).writerows(rows)
        return
    with zipfile.ZipFile(path, "w") as archive:
        for name, i, _, kind in people:
            if lms == "moodle":
                member = f"{name}_{i}_assignsubmission_file_/{NOTEBOOK}"
            else:
                member = f"{name.split(',')[0].lower()}{name.split(' ')[-1].lower()}_{i}_7654321_{NOTEBOOK}"
            archive.writestr(member, nbformat.writes(notebooks[kind]))


def _formgrader(command: list[str], cwd: Path, env: dict) -> dict:
    """Start the instructor's JupyterLab, ask Formgrader's API for the assignments, stop it."""
    port = _free_port()
    args = f"ARGS=--no-browser --port={port} --ServerApp.token={TOKEN}"
    server = subprocess.Popen(
        [*command, args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    answer = {"status": None, "body": None}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/formgrader/api/assignments", headers={"Authorization": f"token {TOKEN}"}
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = {"status": response.status, "body": json.loads(response.read())}
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                answer["status"] = getattr(error, "code", None)
                time.sleep(0.5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            output = server.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            output = server.communicate()[0]
    answer["log"] = output.decode(errors="replace")[-3000:]
    return answer


@pytest.fixture(scope="module")
def instructor_path(tmp_path_factory):
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("needs git and make")
    if sys.prefix == sys.base_prefix:
        pytest.skip("needs the course's virtual environment (make .venv/.installed)")
    clone = _fresh_clone(tmp_path_factory.mktemp("clone"))
    downloads = tmp_path_factory.mktemp("Downloads")
    notebooks = _submissions(clone)
    # What `source .venv/bin/activate` does.
    env = dict(
        os.environ,
        VIRTUAL_ENV=str(clone / ".venv"),
        PATH=f"{clone / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    )
    env.pop("NBGRADER_EXECUTION", None)
    ran, formgrader, had_grading = [], None, (clone / "grading").exists()
    for command in guide_commands():
        words = shlex.split(command.replace("~/Downloads/", f"{downloads}/"))
        if words[:2] == ["source", ".venv/bin/activate"] or words == ["make", "test"]:
            continue
        if words == ["make", "instructor"]:
            formgrader = _formgrader(words, clone, env)
            ran.append((command, 0 if formgrader["status"] == 200 else 1, formgrader["log"]))
            continue
        if words[:2] == ["nbgrader", "autograde"] and not (clone / "grading" / "submitted").exists():
            folder = clone / "grading" / "submitted" / "by_hand" / ASSIGNMENT  # "by hand: copy each notebook"
            folder.mkdir(parents=True)
            nbformat.write(notebooks["solved"], folder / NOTEBOOK)
        if words[0] == "dlkit-grade" and "--lms" in words:
            lms = words[words.index("--lms") + 1]
            roster = words[words.index("--roster") + 1] if "--roster" in words else None
            for word in words:
                if word.startswith(str(downloads)):
                    _make_download(Path(word), lms, word == roster, notebooks)
        outcome = subprocess.run(words, cwd=clone, env=env, capture_output=True, text=True, timeout=600)
        ran.append((command, outcome.returncode, outcome.stdout[-2000:] + outcome.stderr[-3000:]))
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True
    ).stdout
    return {
        "clone": clone,
        "ran": ran,
        "formgrader": formgrader,
        "git_status": status,
        "had_grading": had_grading,
    }


def test_the_guide_has_the_commands_an_instructor_needs():
    commands = guide_commands()
    for expected in (
        "make instructor",
        "make release",
        f"nbgrader autograde {ASSIGNMENT}",
        "nbgrader export",
    ):
        assert expected in commands
    assert any(c.startswith("dlkit-grade --lms moodle") for c in commands)
    assert any(c.startswith("dlkit-grade --lms canvas") for c in commands)


def test_every_command_of_the_guide_succeeds_in_order(instructor_path):
    failed = [f"$ {command}\n{output}" for command, code, output in instructor_path["ran"] if code != 0]
    assert not failed, "\n\n".join(failed)
    assert len(instructor_path["ran"]) == len(guide_commands()) - 2  # all but `source` and `make test`


def test_formgrader_answers_before_anything_is_graded(instructor_path):
    assert not instructor_path["had_grading"]  # a fresh clone has no grading/ folder
    answer = instructor_path["formgrader"]
    assert answer is not None, "the guide does not open the instructor's JupyterLab"
    assert answer["status"] == 200, answer["log"]
    released = sorted(path.name for path in (ROOT / "solutions").iterdir() if path.is_dir())
    assert sorted(a["name"] for a in answer["body"]) == released


def test_grading_a_class_changes_nothing_git_sees(instructor_path):
    assert instructor_path["git_status"] == ""
    grading = instructor_path["clone"] / "grading"
    for produced in (
        "gradebook.db",
        "grades.csv",
        f"lms/{ASSIGNMENT}_moodle_grading_worksheet.csv",
        f"lms/{ASSIGNMENT}_canvas_gradebook_import.csv",
        "report/exercises.csv",
        f"feedback/by_hand/{ASSIGNMENT}/{NOTEBOOK.replace('.ipynb', '.html')}",
    ):
        assert (grading / produced).is_file(), produced


def test_the_report_names_the_problem_behind_the_commonest_failure(instructor_path):
    with open(instructor_path["clone"] / "grading" / "report" / "exercises.csv", newline="") as handle:
        step = next(row for row in csv.DictReader(handle) if row["test_cell"] == "test_step")
    assert step["exercise"] == "Exercise 1 · step(z)"
    assert "booleans" in step["most_common_problem"] and step["problem_count"] == "2", step
