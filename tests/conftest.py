"""Hypothesis profiles and a count of the generated examples.

``ci`` (the default) is small and reproducible; ``long`` searches much further::

    python -m pytest tests/test_properties.py --hypothesis-profile=long

The run ends with a count of the examples tried (``--hypothesis-show-statistics`` adds
hypothesis's own statistics per test).
"""

import os
import warnings
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, settings

# On a failure hypothesis writes the failing example as a patch with libcst, whose older
# releases warn on import, and this suite makes DeprecationWarning an error: import it
# here once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import libcst  # noqa: F401
    except ImportError:
        pass

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run
    database=None,
    # No shrinking: a failure is reported as generated, in bounded time; the long
    # profile shrinks it to a minimal example.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    # HYPOTHESIS_MAX_EXAMPLES=300 for a shorter deep run.
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 2000)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class ExampleCount(Counter):
    """Examples tried and their outcomes; short in hypothesis's report of a failure."""

    def __repr__(self):
        return f"<{sum(self.values())} counts>"


_EXAMPLES = ExampleCount()


def pytest_configure(config):
    # hypothesis's own plugin loads the profile named by --hypothesis-profile.
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci")


@pytest.fixture(scope="session")
def examples_run():
    """A Counter of examples: "tried", then an outcome such as "fitted" or "rejected"."""
    return _EXAMPLES


def pytest_terminal_summary(terminalreporter):
    if not _EXAMPLES:
        return
    profile = settings.get_current_profile_name()
    outcomes = ", ".join(
        f"{count} {name}" for name, count in sorted(_EXAMPLES.items()) if name != "tried"
    )
    terminalreporter.write_line(
        f"hypothesis ({profile} profile): {_EXAMPLES['tried']} examples tried ({outcomes})"
    )


@pytest.fixture
def epoch_runners(monkeypatch):
    """The class names of the epoch runners the fits in a test use, in order."""
    from skperceptron._training import stochastic as _training

    seen = []
    original = _training.make_epochs

    def spy(*args, **kwargs):
        runner = original(*args, **kwargs)
        seen.append(type(runner).__name__)
        return runner

    monkeypatch.setattr(_training, "make_epochs", spy)
    return seen
