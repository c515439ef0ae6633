"""A page of the site for each source file of the package, so that the guides can link
to the code that implements what they explain (the learning path links every concept to
its file).

When the builder starts, this writes ``source/<path>.md`` (``source/_engine/network.md``
for ``skperceptron/_engine/network.py``) into the documentation's folder: a title naming
the file, one line on where it sits, and the file itself, included with line numbers.
The pages are generated (listed in .gitignore, like the gallery's) and ``orphan``: they
are reached by links, not by the navigation.
"""

import os
from pathlib import Path

import skperceptron

#: The package the site documents: the imported one (an editable install: the
#: repository's own files).
PACKAGE = Path(skperceptron.__file__).resolve().parent


def source_files():
    """The package's Python files, as paths relative to the package (``_engine/network.py``)."""
    return sorted(path.relative_to(PACKAGE) for path in PACKAGE.rglob("*.py")
                  if "__pycache__" not in path.parts)


def _page(relative, folder):
    shown = f"skperceptron/{relative.as_posix()}"
    include = Path(os.path.relpath(PACKAGE / relative, folder)).as_posix()
    return (
        "---\norphan: true\n---\n\n"
        f"# `{shown}`\n\n"
        "The source of this file, as the installed package has it. "
        "[Architecture](/architecture.md) says which module owns which concept.\n\n"
        f"```{{literalinclude}} {include}\n:language: python\n:linenos:\n```\n"
    )


def write_pages(app):
    """Write (or rewrite when it changed) one page per source file under ``source/``."""
    root = Path(app.srcdir) / "source"
    for relative in source_files():
        target = root / relative.with_suffix(".md")
        text = _page(relative, target.parent)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", write_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
