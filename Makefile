# Quick start: `make course` opens the student notebooks, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: course test release lint clean

# Create (or reuse) the virtual environment; install dlkit with the course tooling and the class grader
# (grader/, a package of its own), both editable.
$(STAMP): pyproject.toml grader/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e './grader[test]'
	touch $(STAMP)

# Jupyter refuses to run as root unless told to (containers, CI machines): pass the flag only there.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

course: $(STAMP)  ## open the student notebooks in JupyterLab
	$(BIN)/jupyter lab $(ROOT_FLAG) course/

test: $(STAMP)  ## the whole test suite: library, notebooks, grading pipeline
	$(BIN)/python -m pytest

# nbgrader runs `alembic` (installed in the venv) to create its gradebook: its commands get the venv's
# scripts first on PATH.
NBGRADER_PATH := PATH="$(abspath $(BIN)):$$PATH"

# Also registers each assignment in the gradebook (grading/gradebook.db), which `nbgrader autograde` needs.
release: $(STAMP)  ## regenerate the student notebooks in course/ from solutions/ (nbgrader)
	for dir in solutions/*/; do \
	    $(NBGRADER_PATH) $(BIN)/python -m nbgrader generate_assignment --force "$$(basename "$$dir")" || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check dlkit grader tests benchmarks

clean:
	rm -rf $(VENV) grading .pytest_cache

# The instructor's JupyterLab: served from the repository root (Formgrader needs the course folder inside
# the server's root), opened on solutions/; extra options in ARGS, e.g. ARGS='--no-browser --port=8899'.
.PHONY: instructor
instructor: $(STAMP)  ## open the instructor notebooks (solutions/) in JupyterLab, with Formgrader
	$(NBGRADER_PATH) $(BIN)/jupyter lab $(ROOT_FLAG) --LabApp.default_url=/lab/tree/solutions $(ARGS)

# Grade a whole class (see README, "Grading a whole class"), e.g.
#   make grade ARGS='--lms moodle --assignment 01_perceptron ~/Downloads/submissions.zip'
.PHONY: grade
grade: $(STAMP)  ## collect, autograde (sandboxed, parallel), feedback, grades and the class report
	$(BIN)/dlkit-grade $(ARGS)
