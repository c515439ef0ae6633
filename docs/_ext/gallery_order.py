"""The order of the gallery: the examples as a course, in the order of the learning
path (docs/path.md), then the rest by file name.

A module of its own (not conf.py) so that Sphinx can pickle the sort key with the
build's environment: sphinx-gallery keeps it in its configuration.
"""

import os

#: The gallery read as a course; an example not listed comes after these, by file name.
GALLERY_ORDER = [
    "plot_logic_gates.py",
    "plot_training_step.py",
    "plot_chain_rule.py",
    "plot_activations.py",
    "plot_losses.py",
    "plot_stopping_criteria.py",
    "plot_vanishing_gradients.py",
    "plot_initializations.py",
    "plot_overfitting.py",
    "plot_schedules.py",
    "plot_clipping.py",
    "plot_fine_tuning.py",
    "plot_saving_loading.py",
    "plot_checkpoints.py",
    "plot_data_feeding.py",
    "plot_grid_search.py",
    "plot_text_classification.py",
    "plot_onnx_export.py",
    # beyond_one_machine/
    "distributed_grid_search.py",
    "out_of_core.py",
]


def course_order(filename):
    """Sort key of an example's file name (sphinx-gallery's ``within_subsection_order``)."""
    name = os.path.basename(filename)
    if name in GALLERY_ORDER:
        return (0, GALLERY_ORDER.index(name), "")
    return (1, 0, name)
