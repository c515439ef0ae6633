"""The Displays draw exactly what the estimators recorded, headless (Agg)."""

import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import GradientNormDisplay, LossCurveDisplay, MLPClassifier, PerceptronClassifier

matplotlib.use("Agg")  # before pyplot: no window, whatever the machine
import matplotlib.pyplot as plt

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(120, 5, n_informative=3, random_state=0)
X_val, y_val = X[:40], y[:40]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def with_validation():
    return MLPClassifier((6, 4), max_iter=6, random_state=0).fit(X, y, X_val=X_val,
                                                                  y_val=y_val)


@pytest.fixture(scope="module")
def without_validation():
    return MLPClassifier((5,), max_iter=4, alpha=1.0, random_state=1).fit(X, y)


def _legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_loss_curve_draws_the_training_and_validation_history(with_validation):
    display = LossCurveDisplay.from_estimator(with_validation)
    n_epochs = len(with_validation.loss_curve_)
    assert n_epochs == 6 and len(with_validation.validation_loss_curve_) == 6
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(1, n_epochs + 1))
    np.testing.assert_array_equal(display.line_.get_ydata(), with_validation.loss_curve_)
    np.testing.assert_array_equal(display.validation_line_.get_xdata(),
                                  np.arange(1, n_epochs + 1))
    np.testing.assert_array_equal(display.validation_line_.get_ydata(),
                                  with_validation.validation_loss_curve_)
    # One estimator, one colour; the validation curve dashed.
    assert display.validation_line_.get_color() == display.line_.get_color()
    assert display.validation_line_.get_linestyle() == "--"
    assert display.line_.get_linestyle() == "-"
    ax = display.ax_
    assert _legend(ax) == ["MLPClassifier (training)", "MLPClassifier (validation)"]
    assert ax.get_title() == "Loss curve: MLPClassifier"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Epoch", "Loss (log_loss)")
    assert display.figure_ is ax.figure
    assert ax.get_lines() == [display.line_, display.validation_line_]


def test_loss_curve_validation_auto_true_false(with_validation, without_validation):
    assert LossCurveDisplay.from_estimator(without_validation).validation_line_ is None
    display = LossCurveDisplay.from_estimator(with_validation, validation=False)
    assert display.validation_line_ is None and len(display.ax_.get_lines()) == 1
    assert _legend(display.ax_) == ["MLPClassifier (training)"]
    assert LossCurveDisplay.from_estimator(with_validation,
                                           validation=True).validation_line_ is not None
    with pytest.raises(ValueError, match=r"validation_loss_curve_ is None.*X_val and y_val"):
        LossCurveDisplay.from_estimator(without_validation, validation=True)
    with pytest.raises(ValueError, match="validation must be 'auto', True or False"):
        LossCurveDisplay.from_estimator(with_validation, validation="yes")


def test_several_estimators_share_one_axes(with_validation, without_validation):
    first = LossCurveDisplay.from_estimator(with_validation, name="(6, 4)")
    second = LossCurveDisplay.from_estimator(without_validation, ax=first.ax_,
                                             name="(5,), alpha=1")
    assert second.ax_ is first.ax_ and second.figure_ is first.figure_
    assert first.ax_.get_lines() == [first.line_, first.validation_line_, second.line_]
    np.testing.assert_array_equal(second.line_.get_ydata(), without_validation.loss_curve_)
    assert second.line_.get_color() != first.line_.get_color()
    assert _legend(first.ax_) == ["(6, 4) (training)", "(6, 4) (validation)",
                                  "(5,), alpha=1 (training)"]
    assert first.ax_.get_title() == "Loss curves"  # the legend names them


def test_a_title_of_the_users_own_stays(with_validation):
    _, ax = plt.subplots()
    ax.set_title("Mine")
    LossCurveDisplay.from_estimator(with_validation, ax=ax)
    GradientNormDisplay.from_estimator(with_validation, ax=ax)
    assert ax.get_title() == "Mine"


@pytest.mark.parametrize("make", [
    lambda: LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5], validation_loss_curve=[3.5, 2.5]),
    lambda: GradientNormDisplay(gradient_norms=[[1.0, 0.1], [0.5, 0.01]]),
])
def test_plot_draws_on_the_given_axes_and_returns_self(make):
    fig, (left, right) = plt.subplots(1, 2)
    display = make()
    assert display.plot(ax=right) is display
    assert display.ax_ is right and display.figure_ is fig
    assert not left.get_lines() and right.get_lines()


def test_loss_curve_from_its_own_arrays():
    display = LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5], validation_loss_curve=[3.5, 2.5])
    display.plot(linewidth=3, validation_kw={"ls": ":", "c": "k"})
    np.testing.assert_array_equal(display.line_.get_ydata(), [3.0, 2.0, 1.5])
    np.testing.assert_array_equal(display.validation_line_.get_xdata(), [1, 2])
    assert display.line_.get_linewidth() == display.validation_line_.get_linewidth() == 3
    assert display.validation_line_.get_linestyle() == ":"  # the alias overrides "--"
    assert display.validation_line_.get_color() == "k"
    assert _legend(display.ax_) == ["training loss", "validation loss"]
    assert display.ax_.get_title() == "Loss curve"
    display.plot(name="run 2")  # a new figure, titled with the name given to plot
    assert display.ax_.get_title() == "Loss curve: run 2"


def test_gradient_norms_one_line_per_layer_on_a_log_scale(with_validation):
    display = GradientNormDisplay.from_estimator(with_validation)
    norms = with_validation.gradient_norms_
    assert norms.shape == (6, 3) and np.isfinite(norms).all()
    assert len(display.lines_) == 3
    for k, line in enumerate(display.lines_):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
        np.testing.assert_array_equal(line.get_ydata(), norms[:, k])
    assert [line.get_label() for line in display.lines_] == [
        "W1: input → hidden 1", "W2: hidden 1 → hidden 2", "W3: hidden 2 → output"]
    ax = display.ax_
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "Gradient norm per layer: MLPClassifier"
    assert ax.get_xlabel() == "Epoch" and "Gradient norm" in ax.get_ylabel()
    assert _legend(ax)[0].endswith("output") and _legend(ax)[-1].startswith("W1: input")


def test_lbfgs_histories_are_per_iteration():
    model = MLPClassifier((4,), solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    loss = LossCurveDisplay.from_estimator(model)
    norms = GradientNormDisplay.from_estimator(model)
    assert loss.ax_.get_xlabel() == norms.ax_.get_xlabel() == "L-BFGS iteration"
    assert loss.validation_line_ is None
    np.testing.assert_array_equal(norms.lines_[1].get_ydata(), model.gradient_norms_[:, 1])


def test_epochs_without_gradient_norms_are_gaps():
    # The per-sample loop (batch_size=1) records NaN rows; mini-batches continue it.
    model = PerceptronClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    model.set_params(batch_size=16, warm_start=True).fit(X, y)
    norms = model.gradient_norms_
    assert np.isnan(norms[:3]).all() and np.isfinite(norms[3:]).all()
    display = GradientNormDisplay.from_estimator(model)
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), norms[:, 0])
    assert display.lines_[0].get_label() == "W1: input → output"


def test_only_nan_gradient_norms_raise_naming_the_cure():
    model = PerceptronClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"PerceptronClassifier recorded no gradient norm"
                                         r".*batch_size > 1"):
        GradientNormDisplay.from_estimator(model)
    assert not plt.get_fignums()  # no empty figure left behind


def test_gradient_norms_of_the_wrong_shape_raise():
    with pytest.raises(ValueError, match=r"shape \(n_epochs, n_weight_layers\)"):
        GradientNormDisplay(gradient_norms=[1.0, 2.0]).plot()
    with pytest.raises(ValueError, match="layer_names has 1 names for 2 weight layers"):
        GradientNormDisplay(gradient_norms=[[1.0, 2.0]], layer_names=["a"]).plot()


@pytest.mark.parametrize("ax", ["foo", 3, plt], ids=["str", "int", "pyplot"])
@pytest.mark.parametrize("Display", [LossCurveDisplay, GradientNormDisplay])
def test_an_ax_that_is_not_an_axes_raises_a_type_error_naming_it(Display, ax,
                                                                 with_validation):
    expected = rf"ax must be a matplotlib Axes .* got {type(ax).__name__} "
    with pytest.raises(TypeError, match=rf"{Display.__name__}\.from_estimator: {expected}"):
        Display.from_estimator(with_validation, ax=ax)
    display = (LossCurveDisplay(loss_curve=[2.0, 1.0]) if Display is LossCurveDisplay
               else GradientNormDisplay(gradient_norms=[[1.0], [0.5]]))
    with pytest.raises(TypeError, match=rf"{Display.__name__}\.plot: {expected}"):
        display.plot(ax=ax)
    assert not plt.get_fignums()  # refused before drawing anything


@pytest.mark.parametrize("Display", [LossCurveDisplay, GradientNormDisplay])
def test_unfitted_estimator_raises_not_fitted(Display):
    with pytest.raises(NotFittedError):
        Display.from_estimator(MLPClassifier())


@pytest.mark.parametrize("Display, attribute", [(LossCurveDisplay, "loss_curve_"),
                                                (GradientNormDisplay, "gradient_norms_")])
def test_estimator_without_the_history_raises_naming_it(Display, attribute):
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=f"LogisticRegression has no {attribute}"):
        Display.from_estimator(model)
    pipeline = make_pipeline(StandardScaler(), MLPClassifier((3,), max_iter=2)).fit(X, y)
    with pytest.raises(ValueError, match=r"Pipeline has no .*pipeline\[-1\]"):
        Display.from_estimator(pipeline)
    Display.from_estimator(pipeline[-1])


def test_scikit_learns_mlp_loss_curve():
    # It records loss_curve_ but no validation loss (scikit-learn's issue #18507).
    model = SklearnMLP((4,), max_iter=3, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(model)
    np.testing.assert_array_equal(display.line_.get_ydata(), model.loss_curve_)
    assert display.validation_line_ is None
    with pytest.raises(ValueError, match="validation_loss_curve_, which MLPClassifier does "
                                         "not record"):
        LossCurveDisplay.from_estimator(model, validation=True)


def test_missing_matplotlib_names_the_extra(monkeypatch, with_validation):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    extra = r'pip install "skperceptron\[plot\]"'
    with pytest.raises(ImportError, match=f"LossCurveDisplay.from_estimator needs "
                                          f"matplotlib.*{extra}"):
        LossCurveDisplay.from_estimator(with_validation)
    with pytest.raises(ImportError, match=f"GradientNormDisplay.plot needs matplotlib.*{extra}"):
        GradientNormDisplay(gradient_norms=[[1.0]]).plot()


def test_importing_skperceptron_does_not_import_matplotlib():
    code = "import sys, skperceptron; print('matplotlib' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parent.parent, check=True)
    assert run.stdout.strip() == "False"


# ------------------------------------------------------------- the learning rate


@pytest.fixture(scope="module")
def scheduled():
    return MLPClassifier((5,), learning_rate="cosine", warmup_epochs=2, max_iter=8,
                         learning_rate_init=0.01, random_state=0).fit(X, y)


def test_learning_rate_on_a_second_y_axis(scheduled):
    display = LossCurveDisplay.from_estimator(scheduled, learning_rate=True)
    line, rate_ax = display.learning_rate_line_, display.learning_rate_ax_
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 9))
    np.testing.assert_array_equal(line.get_ydata(), scheduled.learning_rates_)
    # A twin of the loss axes: the same epochs, its own y axis at the right.
    assert line.axes is rate_ax and rate_ax is not display.ax_
    assert rate_ax.get_shared_x_axes().joined(rate_ax, display.ax_)
    assert rate_ax.get_ylabel() == "Learning rate"
    assert line.get_color() == display.line_.get_color() and line.get_linestyle() == ":"
    # The cosine ends at 0.01 * (1 + cos(5 pi / 6)) / 2 = 6.7e-4 (15 times less than
    # its peak): a log scale. The legend names the lines of both axes.
    assert scheduled.learning_rates_[-1] == pytest.approx(6.7e-4, rel=1e-2)
    assert rate_ax.get_yscale() == "log" and display.ax_.get_yscale() == "linear"
    assert _legend(display.ax_) == ["MLPClassifier (training)",
                                    "MLPClassifier (learning rate)"]


def test_learning_rate_is_off_by_default_and_linear_when_it_spans_less_than_a_decade():
    display = LossCurveDisplay.from_estimator(
        MLPClassifier((5,), max_iter=4, random_state=0).fit(X, y))
    assert display.learning_rate_line_ is None and display.learning_rate_ax_ is None
    assert len(display.figure_.axes) == 1
    display = LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5], learning_rates=[0.1, 0.05, 0.02])
    display.plot(learning_rate_kw={"c": "k", "ls": "-."})
    assert display.learning_rate_ax_.get_yscale() == "linear"
    assert display.learning_rate_line_.get_color() == "k"
    assert display.learning_rate_line_.get_linestyle() == "-."
    assert _legend(display.ax_) == ["training loss", "learning rate"]


def test_several_estimators_share_the_learning_rate_axis(scheduled, without_validation):
    first = LossCurveDisplay.from_estimator(scheduled, learning_rate=True, name="cosine")
    second = LossCurveDisplay.from_estimator(without_validation, ax=first.ax_,
                                             learning_rate=True, name="constant")
    assert second.learning_rate_ax_ is first.learning_rate_ax_
    assert len(first.figure_.axes) == 2
    assert _legend(first.ax_) == ["cosine (training)", "constant (training)",
                                  "cosine (learning rate)", "constant (learning rate)"]


@pytest.mark.parametrize("model, message", [
    (MLPClassifier((3,), solver="lbfgs", max_iter=5, random_state=0),
     r"MLPClassifier has no learning rate to plot \(learning_rates_ is NaN for every "
     r"epoch\): L-BFGS has no learning rate; .*pass learning_rate=False"),
    (SklearnMLP((3,), max_iter=3, random_state=0),
     "LossCurveDisplay plots learning_rates_, .* MLPClassifier has no learning_rates_"),
], ids=["lbfgs", "scikit-learn"])
def test_a_model_without_learning_rates_says_so(model, message):
    model.fit(X, y)
    with pytest.raises(ValueError, match=message):
        LossCurveDisplay.from_estimator(model, learning_rate=True)
    LossCurveDisplay.from_estimator(model)  # the loss alone still draws
