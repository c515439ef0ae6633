"""The package keeps the shape ``docs/architecture.md`` draws: imports one way, in the
page's order, every module on the page, short modules and short functions.

The import order is read from the page itself (the ``text`` block under "The imports,
one way"), so the map cannot drift from the code. No module beyond 500 lines and no
function beyond 60 lines of code, docstring excluded; compiled kernels (``@jit``) are
exempt: numba inlines nothing across calls that is not written out, and splitting a
hot loop would cost speed.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "skperceptron"
PAGE = ROOT / "docs" / "architecture.md"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path):
    """'_engine.network' for skperceptron/_engine/network.py, '__init__' for the
    package's own, '_engine.__init__' for a folder's."""
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def page_order(text=None):
    """The modules in the page's import order, as (module name, row) pairs."""
    text = PAGE.read_text() if text is None else text
    section = text.split("## The imports, one way", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    order = []
    for row, line in enumerate(block.strip().splitlines()):
        folder, names = line.split(":", 1)
        prefix = f"{folder}." if folder.startswith("_") else ""
        order += [(prefix + name, row) for name in names.split()]
    return order


def internal_imports(path):
    """The package's modules that ``path`` imports (relative imports resolved)."""
    name = module_name(path).split(".")
    package = name[:-1]
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[: len(package) - (node.level - 1)]
        stem = base + (node.module.split(".") if node.module else [])
        for alias in node.names:  # ``from .._utils import compat`` imports a module
            candidate = stem + [alias.name]
            if (PACKAGE.joinpath(*candidate).with_suffix(".py")).exists():
                imported.add(".".join(candidate))
            else:
                imported.add(".".join(stem))
    return imported


def test_the_page_names_every_module_once():
    named = [name for name, _ in page_order()]
    assert len(named) == len(set(named))
    modules = {module_name(p) for p in MODULES if p.name != "__init__.py" or p.parent == PACKAGE}
    assert set(named) == modules


def order_violations(order):
    """Every import of the package that does not follow ``order`` (``page_order``)."""
    position = {name: k for k, (name, _) in enumerate(order)}
    wrong = []
    for path in MODULES:
        name = module_name(path)
        for target in internal_imports(path):
            if name.endswith("__init__") and name != "__init__":
                wrong.append(f"{name} imports {target}: a folder's __init__ imports nothing")
            elif position[target] >= position[name]:
                wrong.append(f"{name} imports {target}, which comes after it")
    return wrong


def test_imports_follow_the_order_of_the_page():
    assert not order_violations(page_order())


def test_the_estimator_modules_do_not_import_each_other():
    for path in (PACKAGE / "_mlp.py", PACKAGE / "_perceptron.py"):
        assert not internal_imports(path) & {"_mlp", "_perceptron"}


def test_a_wrong_order_on_the_page_is_caught():
    # The check can fail: the same code against a page that puts the engine's network
    # before the layers it imports.
    text = PAGE.read_text().replace("layers network", "network layers")
    assert order_violations(page_order(text)) == [
        "_engine.network imports _engine.layers, which comes after it"]


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


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_module_is_at_most_500_lines(path):
    assert len(path.read_text().splitlines()) <= 500


@pytest.mark.parametrize("path", MODULES, ids=module_name)
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
