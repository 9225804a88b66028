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

# nbgrader runs `alembic` (installed in the venv) to set up its gradebook, hence the PATH.
release: $(STAMP)  ## regenerate the student notebooks in course/ from solutions/ (nbgrader)
	mkdir -p grading
	for dir in solutions/*/; do \
	    PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m nbgrader generate_assignment --force "$$(basename "$$dir")" || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check dlkit grader tests benchmarks

clean:
	rm -rf $(VENV) grading .pytest_cache

# Grade a whole class (see README, "Grading a whole class"), e.g.
#   make grade ARGS='--lms moodle --assignment 01_perceptron ~/Downloads/submissions.zip'
.PHONY: grade
grade: $(STAMP)  ## collect, autograde (sandboxed, parallel), feedback, grades.csv and the class report
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m dlkit_grader.cli $(ARGS)
