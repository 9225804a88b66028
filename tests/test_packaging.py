"""The pip and conda routes install the same packages."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in ("course", "dev"):
        names |= {_name(r) for r in project["optional-dependencies"][extra]}
    names.discard("dlkit")
    return names


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


def test_environment_yml_installs_dlkit_itself():
    assert "- -e ." in (ROOT / "environment.yml").read_text()
