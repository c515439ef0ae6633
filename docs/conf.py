"""Sphinx configuration of the skperceptron documentation site.

Build it from the repository root (README.md has the same command):

    python -m pip install -e ".[docs]" && python -m sphinx -W -b html docs docs/_build/html

Warnings are errors. The guides are Markdown (MyST); the API reference is generated from
the docstrings (numpydoc format); the gallery runs every ``docs/examples/plot_*.py`` and
the build fails if one of them takes longer than ``gallery_max_seconds`` (see
``_ext/gallery_time_limit.py``). Nothing is downloaded while building or reading: MathJax
is served from the site itself.
"""

import os
import sys
from pathlib import Path

from sphinx_gallery.sorting import ExplicitOrder, FunctionSortKey

import skperceptron

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

from gallery_order import course_order  # noqa: E402  (from _ext, on the path above)

# Examples draw with matplotlib: never open a window, whatever the environment says.
os.environ["MPLBACKEND"] = "Agg"

project = "skperceptron"
author = "the skperceptron developers"
copyright = "the skperceptron developers"
release = skperceptron.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",  # links to scikit-learn, numpy, ...: docs/inventories/
    "sphinx-mathjax-offline",  # MathJax's files copied into the site: no CDN
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",  # a copy button on every code block (prompts left out)
    "runblock",
    "gallery_time_limit",
    "source_pages",  # a page per source file, for the learning path's links
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    # sphinx-gallery's inputs: it writes their pages to auto_examples/.
    "examples",
]

# -- Markdown (MyST) ----------------------------------------------------------------
# dollarmath: $x$ and $$x$$ as in the guides; deflist: the home page's list of guides; heading anchors so that the guides' links
# to "#1-the-forward-pass" resolve as they do on a code host.
myst_enable_extensions = ["dollarmath", "amsmath", "deflist"]
myst_heading_anchors = 4

# -- API reference --------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# One parameter a line in signatures longer than this (the estimators have 30).
python_maximum_signature_line_length = 88
# "fit()" rather than "MLPClassifier.fit()" in a page's table of contents.
toc_object_entries_show_parents = "hide"
# The class template (docs/_templates/autosummary/class.rst) lists the methods; numpydoc
# would add a second table of them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Every cross-reference must resolve (with -W a broken one fails the build), except
# those to the projects that have no inventory in docs/inventories/ (dask, dask-ml,
# joblib, skops), and numpydoc's links from an Attributes entry to a fitted attribute
# (coef_) that is not a documented member.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(dask|dask_ml|joblib|skops)(\..*)?"),
    (r"py:obj", r"[A-Za-z]\w*_"),
]

# -- Links to other projects ----------------------------------------------------------
# Nothing is downloaded while building: each project's inventory is a small file of
# the objects this site refers to, written by docs/inventories/make_inventories.py
# (add a name there, run it, and the reference resolves). The guides' and docstrings'
# references and the names in the gallery's code link to these sites.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", "inventories/python.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "inventories/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "inventories/scipy.inv"),
    "sklearn": ("https://scikit-learn.org/stable/", "inventories/sklearn.inv"),
    "matplotlib": ("https://matplotlib.org/stable/", "inventories/matplotlib.inv"),
}


def _defined_in_skperceptron(app, what, name, obj, skip, options):
    """Document the members skperceptron defines, not those inherited from scikit-learn.

    ``get_params``, ``set_params``, ``score`` and the metadata-routing setters come
    from scikit-learn's base classes and are documented there; their docstrings refer
    to scikit-learn's own user guide, which this site does not have. Fitted attributes
    written as properties are already in the class's Attributes section.
    """
    if skip or what != "class":
        return skip
    if isinstance(obj, property):  # coef_, intercept_: in the Attributes section
        return True
    module = getattr(obj, "__module__", None) or ""
    if module and not module.startswith("skperceptron"):
        return True
    return None


# -- Gallery ----------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    # Run the examples named plot_*.py; the others (the Dask examples, which start a
    # cluster and take arguments) are shown with their code but not run.
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    # The course's order (_ext/gallery_order.py).
    "within_subsection_order": FunctionSortKey(course_order, "course order"),
    # The course first, then "Beyond one machine" (examples/beyond_one_machine/).
    "subsection_order": ExplicitOrder(["examples", "examples/beyond_one_machine"]),
    # A failing example fails the build.
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
    # A cell's last expression is shown, except matplotlib's artists and the Displays,
    # whose reprs ("Text(0.5, 0.98, ...)", "<... object at 0x...>") tell a reader nothing.
    "capture_repr": ("_repr_html_", "__repr__"),
    "ignore_repr_types": r"matplotlib\.|Display'",
    "image_scrapers": ("matplotlib",),
    # Each figure also at twice its resolution, which high-density screens pick.
    "image_srcset": ["2x"],
    "matplotlib_animations": False,
    "show_memory": False,
    "show_signature": False,
    "plot_gallery": "True",
    # sphinx-gallery's record of each example's execution time, read by
    # gallery_time_limit (relative to the HTML output folder).
    "junit": "../gallery-times.xml",
    "write_computation_times": False,
    # Names in the examples' code link to the API reference, and each API page lists
    # the examples that use it (the minigallery in _templates/autosummary/class.rst).
    "doc_module": ("skperceptron",),
    "backreferences_dir": "generated/backreferences",
}
# Each executed example must run in under this many seconds (on 2 cores): the build
# fails otherwise, naming the examples and their times.
gallery_max_seconds = 30

# Copy buttons copy code, not the ">>> " and "... " prompts of the docstrings' examples
# nor their printed output.
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- HTML -------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skperceptron {release}"
html_static_path = ["_static"]
html_css_files = ["skperceptron.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # The top bar in two groups, learning and reference (nav_groups below).
    "navbar_center": ["navbar-groups"],
    # The search as an icon: the field would push the groups onto a second line.
    "navbar_persistent": ["search-button"],
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    # No version switcher, no icons fetched from elsewhere.
    "icon_links": [],
}
# The theme's light/dark switch starts from the reader's system setting (without a
# default, a first visit logs "invalid theme mode" in the browser's console).
html_context = {
    "default_mode": "auto",
    # The top bar (docs/_templates/navbar-groups.html): (title, page, section) entries.
    "nav_groups": [
        ("Learn", [
            ("Getting started", "getting_started", ""),
            ("Path", "path", ""),
            ("Tutorial", "tutorial", ""),
            ("Gallery", "auto_examples/index", "auto_examples/"),
            ("Maths", "maths", ""),
        ]),
        ("Reference", [
            ("API", "api", "generated/"),
            ("From scikit-learn", "coming_from_sklearn", ""),
            ("Architecture", "architecture", "source/"),
            ("Reliability", "reliability", ""),
            ("Scaling", "scaling", ""),
            ("FAQ", "faq", ""),
        ]),
    ],
}
# The home page, the guides and the API index have no sub-pages: no left sidebar.
html_sidebars = {
    page: []
    for page in ("index", "getting_started", "path", "tutorial", "maths", "glossary",
                 "coming_from_sklearn", "architecture", "reliability", "scaling", "faq",
                 "changelog", "api")
}
html_sidebars["source/**"] = []  # the source files' pages (_ext/source_pages.py)
# The gallery's pages neither, so that code of 88 columns fits beside the page's
# contents (its index shows every example, and each example links to the next).
html_sidebars["auto_examples/*"] = []


def setup(app):
    app.connect("autodoc-skip-member", _defined_in_skperceptron)


# -- The Korean edition ----------------------------------------------------------------
# The learning path, the tutorial and the glossary also exist in Korean, translated in
# the catalogs of docs/locale/ko, and are built as a second, small site after this one:
#     python -m sphinx -W -b html -D language=ko docs docs/_build/html/ko
# With language "ko", _ext/korean.py builds only its KOREAN_PAGES (the home page from
# locale/ko/index.md), runs neither the gallery nor autosummary, links everything else
# to the English site (../, through its objects.inv) and fails on an untranslated
# paragraph.
extensions.append("korean")  # intersphinx is in the list above
locale_dirs = ["locale/"]
gettext_compact = False  # one catalog per page: path.po, tutorial.po, glossary.po
gettext_uuid = False
exclude_patterns.append("locale")  # locale/ko/index.md is read by _ext/korean.py
