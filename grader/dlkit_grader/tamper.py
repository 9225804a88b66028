"""Static scan of a submitted notebook for code that games the grader.

Nothing is executed: each code cell a student could edit is parsed with ``ast`` and walked. Findings
come in three kinds:

* ``patch``: rebinding something the tests rely on: an attribute of an imported module
  (``np.allclose = ...``, ``setattr(np, ...)``), builtins, ``sys.modules``, ``mock.patch``, or a name
  the locked cells imported (``check_step = lambda *a: None``);
* ``reference``: the answer uses the dlkit reference library itself;
* ``system``: leaving the notebook's sandbox on purpose: exiting the interpreter, ``ctypes``, starting
  processes, opening sockets, writing files by absolute or parent path.

The scan flags; it does not grade. The class report lists findings per student for a human to judge.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbgrader.utils import is_locked

_SYSTEM_CALLS = {
    "sys.exit": "exits the interpreter",
    "os._exit": "exits the interpreter",
    "os.kill": "sends signals",
    "os.fork": "starts processes",
    "os.system": "starts processes",
    "os.popen": "starts processes",
    "os.chdir": "changes the working folder",
}
_SYSTEM_MODULES = {
    "ctypes": "uses ctypes",
    "subprocess": "starts processes",
    "multiprocessing": "starts processes",
    "socket": "opens network connections",
    "urllib": "opens network connections",
    "requests": "opens network connections",
    "shutil": "moves or deletes files",
}
_PATCH_MODULES = {
    "builtins": "imports builtins",
    "unittest.mock": "uses mock patching",
    "mock": "uses mock patching",
}


@dataclass(frozen=True)
class Finding:
    """One suspicious construct: which cell, which kind (patch, reference, system), what it does."""

    cell: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"cell {self.cell}: {self.message}"


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _dotted(node: ast.AST) -> str | None:
    """'np.linalg.norm' for an attribute chain rooted at a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> full dotted name, for every import in `tree`."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                names[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _resolve(dotted: str, imported: dict[str, str]) -> str:
    root, _, rest = dotted.partition(".")
    if root not in imported:
        return dotted
    return imported[root] + ("." + rest if rest else "")


def _writes_outside(call: ast.Call) -> bool:
    if not (isinstance(call.func, ast.Name) and call.func.id == "open" and call.args):
        return False
    path = call.args[0]
    mode = (
        call.args[1]
        if len(call.args) > 1
        else next((k.value for k in call.keywords if k.arg == "mode"), None)
    )
    writing = isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+")
    outside = (
        isinstance(path, ast.Constant)
        and isinstance(path.value, str)
        and (path.value.startswith(("/", "~")) or ".." in path.value.split("/"))
    )
    return bool(writing and outside)


def _scan_cell(index: int, tree: ast.Module, imported: dict[str, str], protected: set[str]) -> list[Finding]:
    found = []

    def flag(kind, message):
        finding = Finding(index, kind, message)
        if finding not in found:
            found.append(finding)

    local_imports = _imports(tree)
    for full in local_imports.values():
        module = full.split(".")[0]
        if module == "dlkit":
            flag("reference", f"imports the dlkit reference ({full})")
        for patcher, what in _PATCH_MODULES.items():
            if full == patcher or full.startswith(patcher + "."):
                flag("patch", what)
        if module in _SYSTEM_MODULES:
            flag("system", f"{_SYSTEM_MODULES[module]} ({full})")
    names = {**imported, **local_imports}

    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in protected:
            flag("patch", f"redefines {node.name}, which the tests import")
        for target in targets:
            if isinstance(target, ast.Name) and target.id in protected:
                flag("patch", f"rebinds {target.id}, which the tests import")
            elif isinstance(target, ast.Attribute):
                dotted = _dotted(target)
                root = dotted.split(".")[0] if dotted else None
                if root in names or root in ("__builtins__", "builtins"):
                    flag("patch", f"patches {_resolve(dotted, names)}")
            elif isinstance(target, ast.Subscript):
                dotted = _dotted(target.value)
                if dotted in ("__builtins__", "globals") or (
                    dotted and _resolve(dotted, names) == "sys.modules"
                ):
                    flag("patch", f"patches {_resolve(dotted, names)}[...]")
        if isinstance(node, ast.Call):
            func = _dotted(node.func)
            full = _resolve(func, names) if func else None
            if full in ("setattr", "delattr") and node.args:
                obj = _dotted(node.args[0])
                if obj and (obj.split(".")[0] in names or obj in ("__builtins__", "builtins")):
                    flag("patch", f"patches {_resolve(obj, names)} with {full}()")
            elif full in _SYSTEM_CALLS:
                flag("system", f"{_SYSTEM_CALLS[full]} ({full})")
            elif _writes_outside(node):
                flag("system", f"writes a file outside its folder ({node.args[0].value})")
        if (
            isinstance(node, ast.Name | ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and id(node) not in inner
        ):
            dotted = _dotted(node)
            full = _resolve(dotted, names) if dotted and dotted.split(".")[0] in imported else ""
            if full.startswith("dlkit.") and not full.startswith("dlkit.grading"):
                flag("reference", f"calls the dlkit reference ({full})")
    return found


def scan_notebook(nb: nbformat.NotebookNode) -> list[Finding]:
    """Findings for every editable code cell of `nb` (cells numbered from 0 as in the file)."""
    locked_imports: dict[str, str] = {}
    trees = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _parse(cell.source)
        if tree is None:
            continue
        if not is_locked(cell):  # a cell the student could edit
            trees[index] = tree
        else:
            locked_imports.update(_imports(tree))
    protected = set(locked_imports)
    findings = []
    for index, tree in trees.items():
        findings += _scan_cell(index, tree, locked_imports, protected)
    return findings


def scan_file(path) -> list[Finding]:
    """Findings for the notebook at `path`; an unreadable file yields none (other checks report it)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - any broken file is reported by the notebook checks instead
        return []
    return scan_notebook(nb)
