"""The ``runblock`` directive: Python run while the docs build, its printout shown.

Every number a guide quotes comes from a ``runblock``: the code is executed when the page
is read, and the page shows the code followed by what it printed. A block that raises
fails the build. The blocks of one page share a namespace and run in page order, so a
later block can use what an earlier one defined. In Markdown (MyST)::

    ```{runblock}
    from skperceptron import PerceptronClassifier
    print(PerceptronClassifier().fit([[0], [1]], [0, 1]).predict([[1]]))
    ```

Options: ``:hide-code:`` shows the printout only.
"""

import contextlib
import io
import traceback

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

_KEY = "runblock_namespaces"


class RunBlock(SphinxDirective):
    has_content = True
    option_spec = {"hide-code": directives.flag}

    def _namespace(self):
        # temp_data lives while one document is read: one namespace per page.
        spaces = self.env.temp_data.setdefault(_KEY, {})
        return spaces.setdefault(self.env.docname, {"__name__": "__runblock__"})

    def run(self):
        code = "\n".join(self.content)
        printed = io.StringIO()
        where = f"<{self.env.docname}: runblock at line {self.lineno}>"
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
        return shown


def setup(app):
    app.add_directive("runblock", RunBlock)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
