"""The ``runblock`` directive: Python run while the docs build, its printout shown.

Every number a guide quotes comes from a ``runblock``: the code is executed when the page
is read, and the page shows the code followed by what it printed. A block that raises
fails the build. The blocks of one page share a namespace and run in page order, so a
later block can use what an earlier one defined. In Markdown (MyST)::

    ```{runblock}
    from skperceptron import PerceptronClassifier
    print(PerceptronClassifier().fit([[0], [1]], [0, 1]).predict([[1]]))
    ```

Options: ``:hide-code:`` shows the printout only. ``:figure: ALT TEXT`` shows, after the
printout, the matplotlib figure the block drew, as an SVG image (sharp at any screen
density) whose alternative text is ALT TEXT; the block starts with no figure open, and
one that leaves none fails the build. The image is written into the page itself (a
``data:`` URI), so no file is kept beside it.
"""

import base64
import contextlib
import io
import traceback

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

_KEY = "runblock_namespaces"


def _alt_text(argument):
    text = directives.unchanged_required(argument).strip()
    if not text:
        raise ValueError("a figure needs its alternative text")
    return " ".join(text.split())


class RunBlock(SphinxDirective):
    has_content = True
    option_spec = {"hide-code": directives.flag, "figure": _alt_text}

    def _namespace(self):
        # temp_data lives while one document is read: one namespace per page.
        spaces = self.env.temp_data.setdefault(_KEY, {})
        return spaces.setdefault(self.env.docname, {"__name__": "__runblock__"})

    def run(self):
        code = "\n".join(self.content)
        printed = io.StringIO()
        where = f"<{self.env.docname}: runblock at line {self.lineno}>"
        drawing = "figure" in self.options
        if drawing:
            import matplotlib.pyplot as plt

            plt.close("all")
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(code, where, "exec"), self._namespace())
        except Exception:
            raise self.error(f"runblock failed:\n{traceback.format_exc()}") from None
        shown = []
        if "hide-code" not in self.options:
            source = nodes.literal_block(code, code, language="python")
            shown.append(source)
        output = printed.getvalue().rstrip("\n")
        if output:
            result = nodes.literal_block(output, output, language="none")
            result["classes"].append("runblock-output")
            shown.append(result)
        if drawing:
            shown.append(self._figure(plt, where))
        return shown

    def _figure(self, plt, where):
        if not plt.get_fignums():
            raise self.error("runblock with :figure: drew no matplotlib figure")
        svg = io.BytesIO()
        # The same ids and no date in every build: a page changes only when its figure
        # does.
        with plt.rc_context({"svg.hashsalt": where}):
            plt.gcf().savefig(svg, format="svg", bbox_inches="tight",
                              metadata={"Date": None})
        plt.close("all")
        data = base64.b64encode(svg.getvalue()).decode("ascii")
        image = nodes.image(uri=f"data:image/svg+xml;base64,{data}",
                            alt=self.options["figure"])
        image["classes"].append("runblock-figure")
        return image


def setup(app):
    app.add_directive("runblock", RunBlock)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
