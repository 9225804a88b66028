"""nbgrader configuration for the course (read by every `nbgrader` command run from this folder)."""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

# The folder of this file, as an absolute path (a relative root makes every command print a warning).
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "dlkit-fundamentals"
# Instructor notebooks with solutions and hidden tests:
c.CourseDirectory.source_directory = "solutions"
# Student notebooks generated from them (committed):
c.CourseDirectory.release_directory = "course"
# Everything produced while grading lives under the ignored grading/ folder.
c.ZipCollectApp.downloaded_directory = "grading/downloaded"  # zip files from a learning platform
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.solution_directory = "grading/solution"
c.CourseDirectory.db_url = "sqlite:///grading/gradebook.db"

# Student notebooks start clean: no outputs, and generated cells are read-only where marked.
c.ClearOutput.enabled = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Autograding runs every test cell in a checker kernel of its own, which calls the student's functions in their
# kernel and gets data back: code in a submission cannot change how its answers are checked or scored
# (see grader/dlkit_grader/trusted.py and the README's "What a student cannot do to their grade").
from dlkit_grader.trusted import autograde_preprocessors  # noqa: E402

c.Autograde.autograde_preprocessors = autograde_preprocessors()
