"""course/ is exactly what `make release` generates from solutions/ (the release drift check)."""

import json

from conftest import ASSIGNMENTS, ROOT

# Metadata that says how or when a notebook was last run, not what it contains.
_VOLATILE_CELL_KEYS = ("execution", "collapsed", "scrolled", "trusted", "ExecuteTime")


def _normalised(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook["metadata"].get("language_info", {}).pop("version", None)
    for cell in notebook["cells"]:
        for key in _VOLATILE_CELL_KEYS:
            cell["metadata"].pop(key, None)
    return notebook


def _files(folder):
    return sorted(
        path.relative_to(folder) for path in folder.rglob("*")
        if path.is_file() and ".ipynb_checkpoints" not in path.parts and "__pycache__" not in path.parts
    )


def test_every_assignment_has_a_student_version():
    assert ASSIGNMENTS, "solutions/ holds no assignment"
    for assignment in ASSIGNMENTS:
        student_version = ROOT / "course" / assignment / f"{assignment}.ipynb"
        assert student_version.is_file(), f"no {student_version}: run `make release`"


def test_course_is_what_the_release_command_generates(released_course):
    committed, generated = ROOT / "course", released_course / "course"
    assert _files(committed) == _files(generated), "course/ differs from a release: run `make release`"
    for relative in _files(generated):
        if relative.suffix == ".ipynb":
            same = _normalised(committed / relative) == _normalised(generated / relative)
        else:
            same = (committed / relative).read_bytes() == (generated / relative).read_bytes()
        assert same, f"course/{relative} is not what nbgrader generates: run `make release`, commit course/"


def test_released_notebooks_hold_no_solutions_hidden_tests_or_outputs():
    for path in (ROOT / "course").rglob("*.ipynb"):
        if ".ipynb_checkpoints" in path.parts:
            continue
        notebook = json.loads(path.read_text(encoding="utf-8"))
        text = json.dumps(notebook)
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{path.name}: '{marker}' in the student version"
        for cell in notebook["cells"]:
            assert not cell.get("outputs"), f"{path.name}: outputs kept"
            assert cell.get("execution_count") is None, f"{path.name}: execution counts kept"
            if cell["metadata"].get("nbgrader", {}).get("solution"):
                assert "raise NotImplementedError()" in "".join(cell["source"])
