"""The pip and conda routes install the same packages."""

import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_packages() -> set[str]:
    """What `make .venv/.installed` installs: dlkit (course and dev extras) and the grader (test extra)."""
    names = set()
    installed = (("pyproject.toml", ("course", "dev")), ("grader/pyproject.toml", ("test", "postgresql")))
    for pyproject, extras in installed:
        project = tomllib.loads((ROOT / pyproject).read_text())["project"]
        names |= {_name(r) for r in project["dependencies"]}
        for extra in extras:
            names |= {_name(r) for r in project["optional-dependencies"][extra]}
    return names - {"dlkit", "dlkit-grader"}


def _conda_packages() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"\s+- ([A-Za-z0-9_.-]+)", line)
        if match and not line.strip().startswith("- -e"):
            names.add(_name(match.group(1)))
    return names - {"python", "pip"}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    pip_only = _pyproject_packages() - _conda_packages()
    conda_only = _conda_packages() - _pyproject_packages()
    assert not pip_only and not conda_only, (
        f"only in pyproject: {pip_only}; only in environment.yml: {conda_only}"
    )


def test_environment_yml_installs_dlkit_and_the_grader():
    lines = [line.strip() for line in (ROOT / "environment.yml").read_text().splitlines()]
    assert "- -e ." in lines and "- -e ./grader" in lines


def test_the_library_never_imports_the_grader_nor_nbgrader():
    code = (
        "import dlkit, dlkit.nn, dlkit.grading, sys; "
        "print([m for m in sys.modules if m.startswith('nbgrader')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
