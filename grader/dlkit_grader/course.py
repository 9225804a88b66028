"""An nbgrader course folder, read through its own configuration, and nbgrader run on it.

nbgrader creates a new gradebook by running ``alembic`` from PATH, so every nbgrader command the grader starts
gets this environment's scripts folder first on its PATH (``Course.env``): the grader's own process keeps its
PATH as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader


@dataclass
class Course:
    """An nbgrader course: its root folder and its configuration (nbgrader_config.py and overrides)."""

    root: Path
    config: Config

    @classmethod
    def load(cls, root, db_url: str | None = None, config: Config | None = None) -> Course:
        """The course at `root`: `config` if given (an app's, already loaded), else its nbgrader_config.py."""
        root = Path(root).resolve()
        if config is None:
            config = Config()
            if (root / "nbgrader_config.py").exists():
                config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
        config = Config(config)
        config.CourseDirectory.root = str(root)
        url = db_url or config.CourseDirectory.get("db_url") or f"sqlite:///{root / 'gradebook.db'}"
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = f"sqlite:///{root / url[len('sqlite:///') :]}"  # relative to the course, not to the cwd
        if url.startswith("sqlite:////"):
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        config.CourseDirectory.db_url = url
        return cls(root, config)

    @property
    def db_url(self) -> str:
        return self.config.CourseDirectory.db_url

    @property
    def coursedir(self) -> CourseDirectory:
        return CourseDirectory(config=self.config)

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    def folder(self, step: str, student: str = ".", assignment: str = ".") -> Path:
        """nbgrader's folder for `step` ("source", "submitted", "autograded", ...), student and assignment."""
        coursedir = self.coursedir
        return Path(coursedir.format_path(getattr(coursedir, f"{step}_directory"), student, assignment))

    @property
    def grading_dir(self) -> Path:
        """Where the grader keeps its state, logs and report: the folder holding `submitted`."""
        return self.folder("submitted").resolve().parent

    def assignments(self) -> list[str]:
        """The assignments of the source folder (those with at least one notebook)."""
        source = self.folder("source")
        return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def env(self) -> dict[str, str]:
        """The environment for nbgrader and the workers: this one, this Python's scripts first on PATH."""
        scripts = str(Path(sys.executable).parent)
        return dict(os.environ, PATH=os.pathsep.join([scripts, os.environ.get("PATH", "")]))

    def nbgrader(self, *args: str, db_url: str | None = None) -> subprocess.CompletedProcess:
        """Run ``nbgrader ARGS`` on the course with its gradebook or the one at `db_url`; raises on errors."""
        command = [
            sys.executable,
            "-m",
            "nbgrader",
            *args,
            f"--CourseDirectory.root={self.root}",
            f"--CourseDirectory.db_url={db_url or self.db_url}",
        ]
        outcome = subprocess.run(command, cwd=self.root, env=self.env(), capture_output=True, text=True)
        if outcome.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{outcome.stderr[-3000:]}")
        return outcome
