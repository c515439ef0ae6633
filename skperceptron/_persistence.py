"""Saving a fitted estimator as plain data, and rebuilding it on loading.

A fitted estimator keeps the network, loss and optimizer objects of its last fit. It is
saved with them as plain data (names, numbers, arrays) and they are rebuilt on loading,
so that loading a file with ``skops.io.load`` has to trust only the estimator's class.
The same state serves pickle and ``copy`` (``BaseNetwork.__getstate__`` and
``__setstate__`` call ``plain_state`` and ``restored_state``). The random generator of
the last fit is not saved: every fit and partial_fit takes a new one from
``random_state``; nor are the buffers that partial_fit keeps between calls.
"""

import inspect

from ._engine.activations import get_activation
from ._engine.losses import LOSSES, get_loss
from ._engine.network import Network
from ._engine.optimizers import SGD, Adam, AdamW, RMSprop
from ._training.online import OnlineState

_LOSS_NAMES = {cls: name for name, cls in LOSSES.items()}
_OPTIMIZERS = {cls.__name__: cls for cls in (SGD, Adam, AdamW, RMSprop)}


def _network_state(network):
    return {
        "layer_units": [int(u) for u in network.layer_units],
        "hidden_activations": [a.name for a in network.hidden_activations],
        "output_activation": network.output_activation.name,
        "fit_intercept": bool(network.fit_intercept),
        "dropout": [float(rate) for rate in network.dropout],
        "batch_norm": bool(network.batch_norm),
        "frozen": sorted(int(i) for i in network.frozen),
    }


def _network_from_state(state):
    return Network(
        layer_units=tuple(int(u) for u in state["layer_units"]),
        hidden_activations=tuple(get_activation(a) for a in state["hidden_activations"]),
        output_activation=get_activation(state["output_activation"]),
        fit_intercept=bool(state["fit_intercept"]),
        dropout=tuple(float(rate) for rate in state.get("dropout", ())),
        batch_norm=bool(state.get("batch_norm", False)),
        frozen=frozenset(int(i) for i in state.get("frozen", ())),
    )


def _loss_state(loss):
    return {"name": _LOSS_NAMES[type(loss)], **vars(loss)}  # vars: parameters (huber: delta)


def _optimizer_from_state(state):
    optimizer = object.__new__(_OPTIMIZERS[state["class"]])
    optimizer.load_plain(state)
    return optimizer


#: attribute -> (object to plain data, plain data to object)
PLAIN_STATES = {
    "_net": (_network_state, _network_from_state),
    "_loss": (_loss_state, lambda state: get_loss(**state)),
    "_optimizer": (lambda optimizer: optimizer.to_plain(), _optimizer_from_state),
    "_online_state": (OnlineState.to_plain, OnlineState.from_plain),
}


def plain_state(state):
    """An estimator's ``__dict__`` as saved: the fit's objects as plain data, without
    the generator of the last fit and the buffers partial_fit keeps (the history's
    included: its arrays are saved as what they show)."""
    state = dict(state)
    state.pop("_rng", None)
    state.pop("_buffers", None)
    state.pop("_record_buffers", None)
    for name, (to_state, _) in PLAIN_STATES.items():
        if state.get(name) is not None:
            state[name] = to_state(state[name])
    return state


def restored_state(cls, state, legacy_parameters):
    """A saved ``state`` as an estimator of class ``cls`` holds it: the fit's objects
    rebuilt, and the state of files written by earlier versions brought up to date.

    A parameter added since the file was written takes the value that keeps the saved
    model's behaviour: its value in ``legacy_parameters``, else its default.
    """
    state = dict(state)
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    for name, default in defaults.items():
        if name not in state and "coefs_" in state:
            state[name] = legacy_parameters.get(name, default)
    if "_averaging" in state or "_l1_cumulative" in state:  # a file of 0510102's time
        state["_online_state"] = OnlineState.from_dicts(state.pop("_averaging", None),
                                                        state.pop("_l1_cumulative", None))
    for name, (_, from_state) in PLAIN_STATES.items():
        # (a file written before this form holds the objects: they load as they are)
        if isinstance(state.get(name), dict):
            state[name] = from_state(state[name])
    return state
