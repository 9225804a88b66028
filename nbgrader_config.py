"""nbgrader configuration for the course (read by every `nbgrader` command, Formgrader and `dlkit-grade`)."""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

# The folder of this file, as an absolute path (a relative root makes every command print a warning).
root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = root
c.CourseDirectory.course_id = "dlkit-fundamentals"
# Instructor notebooks with solutions and hidden tests:
c.CourseDirectory.source_directory = "solutions"
# Student notebooks generated from them (committed):
c.CourseDirectory.release_directory = "course"

# Everything produced while grading lives under the ignored grading/ folder. It is created here, so that the
# gradebook (an absolute path: it does not depend on the folder a command runs in) can be opened by the first
# command that needs it, Formgrader included, on a fresh clone.
grading = os.path.join(root, "grading")
os.makedirs(grading, exist_ok=True)
c.ZipCollectApp.downloaded_directory = "grading/downloaded"  # zip files from a learning platform
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.solution_directory = "grading/solution"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(grading, "gradebook.db")
# `nbgrader export` writes here unless given --to.
c.ExportPlugin.to = os.path.join(grading, "grades.csv")

# Student notebooks start clean: no outputs, and generated cells are read-only where marked.
c.ClearOutput.enabled = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# The class grader, dlkit-grade (README, "Grading a whole class"): limits of each student's kernel. The same
# traits can be given on the command line, e.g. `dlkit-grade --Sandbox.memory_mb=4096` or `--memory-mb 4096`.
c.Sandbox.cell_timeout = 60  # seconds per cell
c.Sandbox.notebook_timeout = 300  # seconds for the whole notebook
c.Sandbox.memory_mb = 2048
c.Sandbox.max_processes = 64  # processes and threads
c.Sandbox.allow_network = False

# Autograding runs every test cell in a checker kernel of its own, which calls the student's functions in their
# kernel and gets data back: code in a submission cannot change how its answers are checked or scored
# (see grader/dlkit_grader/trusted.py and the README's "What a student cannot do to their grade").
from dlkit_grader.trusted import autograde_preprocessors  # noqa: E402

c.Autograde.autograde_preprocessors = autograde_preprocessors()

# The feedback shows each test cell's points and failure message, never its code: hidden tests stay hidden.
from dlkit_grader.feedback import feedback_preprocessors  # noqa: E402

c.GenerateFeedback.preprocessors = feedback_preprocessors()
