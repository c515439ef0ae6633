"""The package stays readable: short modules and short functions, imports one way.

One concept per module (``docs/architecture.md``): no module beyond 500 lines and no
function beyond 60 lines of code, docstring excluded. Compiled kernels (``@jit``) are
exempt: numba inlines nothing across calls that is not written out, and splitting a
hot loop would cost speed. Imports between the package's modules never form a cycle.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "skperceptron"
MODULES = sorted(PACKAGE.glob("*.py"))


def _code_lines(node):
    """Lines of a function that hold code: not its docstring, blank lines or comments."""
    lines = set()
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    for statement in body:
        for child in ast.walk(statement):
            if hasattr(child, "lineno"):
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _is_compiled(node):
    return any(getattr(d, "id", None) == "jit" for d in node.decorator_list)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_is_at_most_500_lines(path):
    assert len(path.read_text().splitlines()) <= 500


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_functions_are_at_most_60_lines_of_code(path):
    source = path.read_text()
    lines = source.splitlines()
    too_long = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_compiled(node):
            code = [n for n in _code_lines(node) if not lines[n - 1].strip().startswith("#")]
            if len(code) > 60:
                too_long.append(f"{node.name}: {len(code)} lines")
    assert not too_long


def _internal_imports(path):
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            imported.add(node.module)
    return imported


def test_imports_between_modules_form_no_cycle():
    graph = {path.stem: _internal_imports(path) for path in MODULES}
    state = {}

    def visit(name, path):
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", " -> ".join([*path, name])
        state[name] = "open"
        for other in graph.get(name, ()):
            visit(other, [*path, name])
        state[name] = "done"

    for name in graph:
        visit(name, [])
