"""The public docstrings: parameters in the order of the signature, and examples.

numpydoc's parser reads each docstring's sections as the API reference shows them. A
reader of the reference meets the parameters in the order of the signature, as in
scikit-learn's; every public class shows an example, and every estimator cites the
papers of the methods it implements.
"""

import inspect

import pytest
from numpydoc.docscrape import NumpyDocString

import skperceptron
from skperceptron._docstrings import in_signature_order

ESTIMATORS = [skperceptron.MLPClassifier, skperceptron.MLPRegressor,
              skperceptron.PerceptronClassifier, skperceptron.PerceptronRegressor]


def _public_objects():
    """Every name of ``skperceptron.__all__`` but the version, and the ONNX module's."""
    objects = [getattr(skperceptron, name) for name in skperceptron.__all__
               if name != "__version__"]
    try:
        from skperceptron.onnx import register_converters
    except ImportError:  # without the [onnx] extra (skl2onnx) there is no such page
        return objects
    return objects + [register_converters]


PUBLIC = _public_objects()


def _documented_callables(obj):
    """(name, callable, docstring) of ``obj`` and, for a class, of each public method
    that skperceptron defines (not those inherited from scikit-learn); a class's
    parameters are its ``__init__``'s."""
    if not inspect.isclass(obj):
        return [(obj.__qualname__, obj, obj.__doc__)]
    found = [(obj.__name__, obj.__init__, obj.__doc__)]
    for name, member in inspect.getmembers(obj):
        if name.startswith("_") or isinstance(inspect.getattr_static(obj, name), property):
            continue
        module = getattr(member, "__module__", None) or ""
        if callable(member) and module.startswith("skperceptron") and member.__doc__:
            found.append((f"{obj.__name__}.{name}", member, member.__doc__))
    return found


def parameter_order_errors(function, docstring):
    """What is wrong with the Parameters section of ``docstring`` against ``function``'s
    signature: parameters missing, unknown, or out of order. Empty when right."""
    signature = [name for name in inspect.signature(function).parameters
                 if name not in ("self", "cls")]
    documented = [name.strip().lstrip("*")
                  for entry in NumpyDocString(docstring)["Parameters"]
                  for name in entry.name.split(",")]
    errors = []
    missing = [name for name in signature if name not in documented]
    unknown = [name for name in documented if name not in signature]
    if missing:
        errors.append(f"not documented: {missing}")
    if unknown:
        errors.append(f"not in the signature: {unknown}")
    in_both = [name for name in documented if name in signature]
    expected = [name for name in signature if name in documented]
    if in_both != expected:
        first = next(i for i, (a, b) in enumerate(zip(in_both, expected)) if a != b)
        errors.append(f"out of order from {in_both[first]!r}: the signature has "
                      f"{expected[first]!r} there")
    return errors


CALLABLES = [item for obj in PUBLIC for item in _documented_callables(obj)]


@pytest.mark.parametrize("name, function, docstring", CALLABLES,
                         ids=[name for name, _, _ in CALLABLES])
def test_parameters_are_listed_in_the_order_of_the_signature(name, function, docstring):
    assert parameter_order_errors(function, docstring) == []


def _swapped_docstring(x, y, z=0):
    """Swapped, to show that the check reads the order.

    Parameters
    ----------
    x : int
        The first.
    z : int, default=0
        The third, listed second.
    y : int
        The second, listed third.
    """


def _incomplete_docstring(x, y):
    """Missing one.

    Parameters
    ----------
    x : int
        The first.
    w : int
        Not a parameter.
    """


def test_the_order_check_reports_a_docstring_out_of_order():
    assert parameter_order_errors(_swapped_docstring, _swapped_docstring.__doc__) == [
        "out of order from 'z': the signature has 'y' there"]
    assert parameter_order_errors(_incomplete_docstring, _incomplete_docstring.__doc__) == [
        "not documented: ['y']", "not in the signature: ['w']"]


def test_an_estimator_out_of_order_fails_the_check():
    """The MLPClassifier's docstring with two entries swapped is reported."""
    doc = skperceptron.MLPClassifier.__doc__
    solver = doc.index("    solver : ")
    alpha = doc.index("    alpha : ")
    batch_size = doc.index("    batch_size : ")
    swapped = doc[:solver] + doc[alpha:batch_size] + doc[solver:alpha] + doc[batch_size:]
    assert parameter_order_errors(skperceptron.MLPClassifier.__init__, swapped) == [
        "out of order from 'alpha': the signature has 'solver' there"]


def _fine(alpha, beta_1, beta_2, gamma=0):
    """Nothing."""


def test_parameter_entries_are_put_in_the_order_of_the_signature():
    entries = """
    gamma : int
        The last.

    beta_1, beta_2 : float
        Two at once.

    alpha : float
        The first.
"""
    assert in_signature_order(_fine, entries).splitlines() == [
        "alpha : float", "        The first.", "",
        "    beta_1, beta_2 : float", "        Two at once.", "",
        "    gamma : int", "        The last."]
    with pytest.raises(ValueError, match=r"no entry for \['alpha'\]"):
        in_signature_order(_fine, entries.split("    alpha :")[0])
    with pytest.raises(ValueError, match="'delta' is not in the signature"):
        in_signature_order(_fine, entries + "\n    delta : int\n        Extra.\n")


@pytest.mark.parametrize("obj", PUBLIC, ids=[obj.__name__ for obj in PUBLIC])
def test_every_public_name_shows_an_example(obj):
    examples = "\n".join(NumpyDocString(obj.__doc__)["Examples"])
    assert ">>> " in examples


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=[e.__name__ for e in ESTIMATORS])
def test_every_estimator_cites_its_papers(estimator):
    references = "\n".join(NumpyDocString(estimator.__doc__)["References"])
    n_cited = references.count(".. [")
    assert n_cited >= 5
    assert [f".. [{number}]" in references for number in range(1, n_cited + 1)] == [
        True] * n_cited
