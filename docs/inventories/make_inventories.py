"""Write the intersphinx inventories of the projects this site links to.

The site is built offline, so Sphinx's intersphinx cannot download each project's
``objects.inv``. This script writes a small one per project instead (``sklearn.inv``,
``numpy.inv``, ``scipy.inv``, ``python.inv``, ``matplotlib.inv``, next to it), listing
only the objects the site refers to: the names of the guides' and docstrings'
cross-references, and the names the gallery's code uses, which sphinx-gallery links to
their documentation. Each entry points at the page where its project documents it,
following that project's URL scheme (``PROJECTS`` below); ``docs/conf.py`` maps each
file to the project's site in ``intersphinx_mapping``.

Every name is checked before anything is written: it must import in the installed
version, and be what its role says (a class, a function, a module...). To link to a
new object, add its name under its role and run, from the repository root::

    python docs/inventories/make_inventories.py           # write the five files
    python docs/inventories/make_inventories.py --check   # fail if one is out of date

The files use version 2 of Sphinx's inventory format: four lines of header, then,
zlib-compressed, one line per object: ``name domain:role priority uri dispname``, where
a ``$`` at the end of ``uri`` stands for the name and a ``-`` display name for the name
itself.
"""

import argparse
import builtins
import importlib
import inspect
import sys
import zlib
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent


# -- Where each project documents an object -------------------------------------------


def _sklearn_page(name, role):
    # One page per public class or function (modules/generated/), its methods and
    # attributes as anchors on the class's page.
    owner = name.rsplit(".", 1)[0] if role in ("method", "attribute") else name
    return f"modules/generated/{owner}.html"


_NUMPY_PAGES = {
    # The scalar types share one page, the constants another; the random generators
    # are documented on the pages of the random module.
    "numpy.float32": "reference/arrays.scalars.html",
    "numpy.float64": "reference/arrays.scalars.html",
    "numpy.int64": "reference/arrays.scalars.html",
    "numpy.str_": "reference/arrays.scalars.html",
    "numpy.inf": "reference/constants.html",
    "numpy.nan": "reference/constants.html",
    "numpy.random.Generator": "reference/random/generator.html",
    "numpy.random.default_rng": "reference/random/generator.html",
    "numpy.random.RandomState": "reference/random/legacy.html",
}


def _numpy_page(name, role):
    if name in _NUMPY_PAGES:
        return _NUMPY_PAGES[name]
    if name.startswith("numpy.random."):  # the generators' methods
        return f"reference/random/generated/{name}.html"
    return f"reference/generated/{name}.html"


def _scipy_page(name, role):
    if role == "module":  # scipy.sparse: reference/sparse.html
        return f"reference/{name.split('.', 1)[1]}.html"
    # Classes, functions, and each method and attribute of a class: a page each.
    return f"reference/generated/{name}.html"


_MATPLOTLIB_PAGES = {
    # Classes documented on their module's page rather than on one of their own.
    "matplotlib.axes.Axes": "api/axes_api.html",
    "matplotlib.contour.QuadContourSet": "api/contour_api.html",
    "matplotlib.image.AxesImage": "api/image_api.html",
    "matplotlib.legend.Legend": "api/legend_api.html",
}


def _matplotlib_page(name, role):
    return _MATPLOTLIB_PAGES.get(name, f"api/_as_gen/{name}.html")


_PYTHON_BUILTIN_PAGES = {
    # Built-in types that are documented with the built-in functions, and those that
    # are documented with the standard types.
    "functions": {"bool", "float", "int"},
    "stdtypes": {"dict", "list", "str", "tuple"},
}


def _python_page(name, role):
    if role == "module":
        return f"library/{name}.html"
    if "." not in name:  # a built-in
        if role == "exception":
            return "library/exceptions.html"
        if role == "data":  # None, True, False
            return "library/constants.html"
        for page, names in _PYTHON_BUILTIN_PAGES.items():
            if name in names:
                return f"library/{page}.html"
        return "library/functions.html"
    # The module's page, by the name it is imported as: os.path, not posixpath.
    module, rest = _split_module(name)
    return f"library/{name.rsplit('.', len(rest))[0]}.html"


# -- What the site refers to, by project and role -------------------------------------

PROJECTS = {
    "sklearn": {
        "project": "scikit-learn",
        "distribution": "scikit-learn",
        "page": _sklearn_page,
        "objects": {
            "class": [
                "sklearn.base.BaseEstimator",
                "sklearn.base.TransformerMixin",
                "sklearn.feature_extraction.text.CountVectorizer",
                "sklearn.feature_extraction.text.TfidfVectorizer",
                "sklearn.inspection.DecisionBoundaryDisplay",
                "sklearn.linear_model.LinearRegression",
                "sklearn.linear_model.Perceptron",
                "sklearn.linear_model.QuantileRegressor",
                "sklearn.linear_model.SGDClassifier",
                "sklearn.model_selection.GridSearchCV",
                "sklearn.model_selection.RandomizedSearchCV",
                "sklearn.model_selection.StratifiedKFold",
                "sklearn.neural_network.MLPClassifier",
                "sklearn.neural_network.MLPRegressor",
                "sklearn.pipeline.Pipeline",
                "sklearn.preprocessing.StandardScaler",
                "sklearn.utils.Bunch",
            ],
            "exception": [
                "sklearn.exceptions.ConvergenceWarning",
                "sklearn.exceptions.InconsistentVersionWarning",
            ],
            "function": [
                "sklearn.base.clone",
                "sklearn.datasets.load_digits",
                "sklearn.datasets.make_classification",
                "sklearn.datasets.make_friedman1",
                "sklearn.datasets.make_gaussian_quantiles",
                "sklearn.datasets.make_moons",
                "sklearn.datasets.make_regression",
                "sklearn.model_selection.train_test_split",
                "sklearn.pipeline.make_pipeline",
                "sklearn.utils.estimator_checks.check_estimator",
                "sklearn.utils.validation.validate_data",
            ],
            "method": [
                "sklearn.feature_extraction.text.CountVectorizer.fit_transform",
                "sklearn.feature_extraction.text.CountVectorizer.get_feature_names_out",
                "sklearn.feature_extraction.text.CountVectorizer.transform",
                "sklearn.feature_extraction.text.TfidfVectorizer.get_feature_names_out",
                "sklearn.feature_extraction.text.TfidfVectorizer.transform",
                "sklearn.inspection.DecisionBoundaryDisplay.from_estimator",
                "sklearn.linear_model.Perceptron.fit",
                "sklearn.linear_model.Perceptron.score",
                "sklearn.linear_model.QuantileRegressor.predict",
                "sklearn.model_selection.GridSearchCV.fit",
                "sklearn.pipeline.Pipeline.fit",
                "sklearn.pipeline.Pipeline.predict",
                "sklearn.pipeline.Pipeline.predict_proba",
                "sklearn.pipeline.Pipeline.score",
                "sklearn.preprocessing.StandardScaler.transform",
            ],
        },
    },
    "numpy": {
        "project": "NumPy",
        "distribution": "numpy",
        "page": _numpy_page,
        "objects": {
            "class": [
                "numpy.dtype",
                "numpy.finfo",
                "numpy.flatiter",
                "numpy.float32",
                "numpy.float64",
                "numpy.int64",
                "numpy.memmap",
                "numpy.ndarray",
                "numpy.ndenumerate",
                "numpy.ndindex",
                "numpy.random.Generator",
                "numpy.random.RandomState",
                "numpy.str_",
            ],
            "data": [
                "numpy.c_",
                "numpy.inf",
            ],
            "function": [
                "numpy.all",
                "numpy.arange",
                "numpy.argmax",
                "numpy.argmin",
                "numpy.argsort",
                "numpy.array",
                "numpy.array_equal",
                "numpy.bincount",
                "numpy.empty",
                "numpy.eye",
                "numpy.flatnonzero",
                "numpy.isfinite",
                "numpy.isin",
                "numpy.lib.format.open_memmap",
                "numpy.linalg.norm",
                "numpy.linspace",
                "numpy.load",
                "numpy.log",
                "numpy.log10",
                "numpy.logaddexp",
                "numpy.logspace",
                "numpy.max",
                "numpy.maximum",
                "numpy.mean",
                "numpy.median",
                "numpy.meshgrid",
                "numpy.polyfit",
                "numpy.prod",
                "numpy.random.default_rng",
                "numpy.ravel",
                "numpy.save",
                "numpy.seterr",
                "numpy.setdiff1d",
                "numpy.sqrt",
                "numpy.sum",
                "numpy.tanh",
                "numpy.unique",
                "numpy.zeros",
            ],
            "method": [
                "numpy.random.Generator.normal",
                "numpy.random.Generator.uniform",
                "numpy.random.RandomState.choice",
                "numpy.random.RandomState.uniform",
            ],
        },
    },
    "scipy": {
        "project": "SciPy",
        "distribution": "scipy",
        "page": _scipy_page,
        "objects": {
            "module": [
                "scipy.sparse",
            ],
            "class": [
                "scipy.sparse.csr_matrix",
            ],
            "attribute": [
                "scipy.sparse.csr_matrix.nnz",
                "scipy.sparse.csr_matrix.shape",
            ],
            "function": [
                "scipy.optimize.minimize",
                "scipy.special.expit",
            ],
        },
    },
    "matplotlib": {
        "project": "Matplotlib",
        "distribution": "matplotlib",
        "page": _matplotlib_page,
        "objects": {
            "class": [
                "matplotlib.axes.Axes",
                "matplotlib.contour.QuadContourSet",
                "matplotlib.figure.Figure",
                "matplotlib.image.AxesImage",
                "matplotlib.legend.Legend",
            ],
            "function": [
                "matplotlib.pyplot.show",
                "matplotlib.pyplot.subplots",
            ],
            "method": [
                "matplotlib.axes.Axes.annotate",
                "matplotlib.axes.Axes.axhline",
                "matplotlib.axes.Axes.axvline",
                "matplotlib.axes.Axes.bar",
                "matplotlib.axes.Axes.contour",
                "matplotlib.axes.Axes.contourf",
                "matplotlib.axes.Axes.get_legend",
                "matplotlib.axes.Axes.hist",
                "matplotlib.axes.Axes.imshow",
                "matplotlib.axes.Axes.legend",
                "matplotlib.axes.Axes.loglog",
                "matplotlib.axes.Axes.plot",
                "matplotlib.axes.Axes.scatter",
                "matplotlib.axes.Axes.set",
                "matplotlib.axes.Axes.set_axis_off",
                "matplotlib.axes.Axes.set_title",
                "matplotlib.axes.Axes.set_xlabel",
                "matplotlib.axes.Axes.set_xticks",
                "matplotlib.axes.Axes.set_yscale",
                "matplotlib.axes.Axes.text",
                "matplotlib.figure.Figure.colorbar",
                "matplotlib.figure.Figure.legend",
                "matplotlib.figure.Figure.suptitle",
                "matplotlib.figure.Figure.tight_layout",
            ],
        },
    },
    "python": {
        "project": "Python",
        "distribution": None,  # the interpreter's own version
        "page": _python_page,
        "objects": {
            "module": [
                "pickle",
            ],
            "class": [
                "argparse.ArgumentParser",
                "concurrent.futures.ProcessPoolExecutor",
                "dict",
                "float",
                "int",
                "list",
                "pathlib.Path",
                "pathlib.PosixPath",
                "str",
                "tempfile.TemporaryDirectory",
                "tuple",
                "warnings.catch_warnings",
            ],
            "exception": [
                "KeyboardInterrupt",
                "RuntimeWarning",
                "TypeError",
                "UserWarning",
                "ValueError",
            ],
            "data": [
                "resource.RUSAGE_SELF",
            ],
            "function": [
                "multiprocessing.get_context",
                "os.path.join",
                "pickle.dump",
                "pickle.dumps",
                "pickle.load",
                "pickle.loads",
                "resource.getrusage",
                "time.perf_counter",
                "warnings.simplefilter",
            ],
        },
    },
}

BASE_URLS = {
    # The sites the inventories' relative URIs belong to (docs/conf.py maps them).
    "sklearn": "https://scikit-learn.org/stable/",
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "matplotlib": "https://matplotlib.org/stable/",
    "python": "https://docs.python.org/3/",
}


# -- Checking the names ------------------------------------------------------------


def _split_module(name):
    """The longest importable module that ``name`` starts with, and the rest."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        return module, parts[cut:]
    raise ImportError(f"no module of {name!r} can be imported")


def resolve(name):
    """The object ``name`` designates in the installed version (ImportError if none)."""
    if hasattr(builtins, name):
        return getattr(builtins, name)
    module, rest = _split_module(name)
    obj = module
    for i, attribute in enumerate(rest):
        try:
            obj = getattr(obj, attribute)
        except AttributeError:
            raise ImportError(
                f"{'.'.join([module.__name__, *rest[:i]])} has no {attribute!r}"
            ) from None
    return obj


def _is(role, obj):
    """Whether ``obj`` is what an entry of ``role`` documents."""
    if role == "module":
        return inspect.ismodule(obj)
    if role == "class":
        return inspect.isclass(obj)
    if role == "exception":
        return inspect.isclass(obj) and issubclass(obj, BaseException)
    if role == "function":
        return callable(obj) and not inspect.isclass(obj)
    if role == "method":
        return callable(obj)
    if role == "attribute":
        return not callable(obj) or isinstance(obj, property)
    if role == "data":
        return not inspect.ismodule(obj) and not inspect.isclass(obj)
    raise ValueError(f"unknown role {role!r}")


def check(key):
    """Every object of a project, as (name, role); raises on the first wrong name."""
    entries = []
    problems = []
    for role, names in PROJECTS[key]["objects"].items():
        for name in names:
            try:
                obj = resolve(name)
            except ImportError as error:
                problems.append(f"{name}: not importable ({error})")
                continue
            if not _is(role, obj):
                problems.append(f"{name}: listed as a {role}, but is {type(obj)}")
                continue
            entries.append((name, role))
    if problems:
        raise SystemExit(f"{key}: " + "; ".join(problems))
    if len({name for name, _ in entries}) != len(entries):
        raise SystemExit(f"{key}: a name is listed twice")
    return sorted(entries)


# -- Writing them -----------------------------------------------------------------


def _version(key):
    distribution = PROJECTS[key]["distribution"]
    if distribution is None:
        return "{}.{}".format(*sys.version_info[:2])
    return ".".join(version(distribution).split(".")[:2])


def inventory(key):
    """The bytes of the project's inventory file."""
    project = PROJECTS[key]
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project['project']}\n"
        f"# Version: {_version(key)}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = []
    for name, role in check(key):
        page = project["page"](name, role)
        anchor = f"module-{name}" if role == "module" else name
        uri = f"{page}#{'$' if anchor == name else anchor}"
        lines.append(f"{name} py:{role} 1 {uri} -\n")
    body = zlib.compress("".join(lines).encode("utf-8"), 9)
    return header.encode("utf-8") + body


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit with 1 if a file differs from what it would be",
    )
    args = parser.parse_args(argv)
    # Every project's names are checked before any file is written.
    files = {key: inventory(key) for key in PROJECTS}
    stale = []
    for key, data in files.items():
        path = HERE / f"{key}.inv"
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path.name)
            continue
        path.write_bytes(data)
        count = sum(len(names) for names in PROJECTS[key]["objects"].values())
        print(f"{path.name}: {count} objects, for {BASE_URLS[key]}")
    if stale:
        print("out of date: " + ", ".join(stale) + f" (run {Path(__file__).name})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
