"""What a graded notebook says went wrong: the errors in a cell's outputs, and the problem a check names.

A failed check of ``dlkit.grading`` reads::

    AssertionError: step is not right yet.
      problem: it returned booleans (True/False) where numbers were expected.
      input z = [...]
      expected: [...]
      got:      [...]
      hint: ...

Its headline ("step is not right yet.") is the same for every mistake; the ``problem:`` line is what tells an
instructor what to re-teach. ``problem`` returns that line, or the best stand-in when there is none.
"""

from __future__ import annotations


def cell_errors(cell) -> list[str]:
    """The errors in a cell's outputs, each as 'Name: first line of its message'."""
    errors = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            first_line = (out.get("evalue") or "").strip().splitlines()[:1]
            errors.append(f"{out.get('ename')}: {first_line[0] if first_line else ''}".strip()[:300])
    return errors


def problem(cell) -> str:
    """The diagnosis of a cell's first error: its ``problem:`` line, else its ``error:`` line, else its
    first line (with the error's name unless it is an AssertionError); empty if the cell has no error."""
    for out in cell.get("outputs", []):
        if out.get("output_type") != "error":
            continue
        lines = [line.strip() for line in (out.get("evalue") or "").strip().splitlines()]
        for label in ("problem:", "error:"):
            found = next((line[len(label) :].strip() for line in lines if line.startswith(label)), None)
            if found:
                return found[:300]
        headline = lines[0] if lines else ""
        name = out.get("ename") or "Error"
        return (headline if name == "AssertionError" and headline else f"{name}: {headline}".strip(": "))[
            :300
        ]
    return ""
