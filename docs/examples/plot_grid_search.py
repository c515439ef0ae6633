"""
=================================
A pipeline tuned by a grid search
=================================

An :class:`~skperceptron.MLPClassifier` is a scikit-learn estimator, so the tools for
choosing parameters apply unchanged: put the scaler and the network in a
:class:`~sklearn.pipeline.Pipeline`, give :class:`~sklearn.model_selection.GridSearchCV`
the values to try, and let cross-validation pick. The pipeline
matters: inside each fold the scaler learns its means and variances from the
training part only, so the part that scores the fold stays unseen, as new data
will be.
"""

# %%
# The data and the pipeline
# -------------------------
# The digits: 1797 images of 8 x 8 pixels, ten classes. A quarter is kept aside as a
# test set, which the search never sees. The network is fitted by L-BFGS
# (:ref:`maths-lbfgs`), the full-batch solver that suits a small data set, with a
# budget of 100 iterations per fit: every fit of the search is deterministic and quick.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)
pipeline = make_pipeline(
    StandardScaler(), MLPClassifier(solver="lbfgs", max_iter=100, random_state=0)
)
print(pipeline)
print(f"{len(X_train)} training images, {len(X_test)} test images")

# %%
# The grid
# --------
# A parameter of a step in a pipeline is named ``<step>__<parameter>``, the step
# being the class name in lower case when :func:`~sklearn.pipeline.make_pipeline` names
# it. Three sizes of the hidden layer and four strengths of the L2 penalty
# (:ref:`maths-penalties`) make 12 candidates; 3-fold cross-validation fits each 3
# times, and the best is then refitted on the whole training set (``refit=True``, the
# default).
grid = {
    "mlpclassifier__hidden_layer_sizes": [(4,), (16,), (64,)],
    "mlpclassifier__alpha": [1e-3, 1e-1, 10, 100],
}
search = GridSearchCV(pipeline, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0))
with warnings.catch_warnings():
    # Most fits use their 100 L-BFGS iterations and say so: the budget is the plan.
    warnings.simplefilter("ignore")
    search.fit(X_train, y_train)

results = search.cv_results_
order = np.argsort(results["rank_test_score"], kind="stable")
print(f"{'rank':>4}  {'hidden':<8}{'alpha':>8}{'mean accuracy':>15}{'std':>7}"
      f"{'fit s':>7}")
for i in order:
    params = results["params"][i]
    print(f"{results['rank_test_score'][i]:>4}  "
          f"{str(params['mlpclassifier__hidden_layer_sizes']):<8}"
          f"{params['mlpclassifier__alpha']:>8g}{results['mean_test_score'][i]:>15.3f}"
          f"{results['std_test_score'][i]:>7.3f}{results['mean_fit_time'][i]:>7.3f}")

# %%
# The scores as a map
# -------------------
# Rows are penalty strengths, columns hidden-layer sizes. Reading the map (and the
# table above): four hidden units are too few for ten digits, whatever the penalty;
# 16 and 64 units do much better. The two parameters interact: the best penalty for
# four units is not the best for 64, and the strongest penalty costs the larger
# networks several points. Tuning one parameter at a time, with the other held
# fixed, could miss the best pair; the grid tries every pair.
sizes = grid["mlpclassifier__hidden_layer_sizes"]
alphas = grid["mlpclassifier__alpha"]
scores = np.empty((len(alphas), len(sizes)))
for params, score in zip(results["params"], results["mean_test_score"]):
    scores[alphas.index(params["mlpclassifier__alpha"]),
           sizes.index(params["mlpclassifier__hidden_layer_sizes"])] = score

fig, ax = plt.subplots(figsize=(5.5, 4.5))
image = ax.imshow(scores, cmap="viridis", origin="lower", aspect="auto")
for (row, col), score in np.ndenumerate(scores):
    ax.text(col, row, f"{score:.3f}", ha="center", va="center",
            color="k" if score > scores.mean() else "w")
ax.set(xticks=range(len(sizes)), xticklabels=[str(s) for s in sizes],
       yticks=range(len(alphas)), yticklabels=[f"{a:g}" for a in alphas],
       xlabel="hidden_layer_sizes", ylabel="alpha",
       title="Mean cross-validated accuracy")
fig.colorbar(image, ax=ax)
fig.tight_layout()

# %%
# The chosen model on the test set
# --------------------------------
# ``best_score_`` is the best of 12 cross-validated means. Picking the largest of
# several noisy numbers favours one that the folds happened to flatter, so it can
# overstate how well the chosen model does. The test set, untouched until now, gives
# an estimate that no choice has seen; here the two are close.
best = search.best_estimator_
print("best parameters:")
for name, value in search.best_params_.items():
    print(f"  {name}: {value}")
print(f"best cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy of the refitted pipeline: {best.score(X_test, y_test):.3f}")
print(f"stopped because: {best[-1].stop_reason_} after {best[-1].n_iter_} iterations")
plt.show()
