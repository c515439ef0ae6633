"""What drives the engine: the plan of a fit, the training data, epochs of mini-batches
and the per-sample loops, L-BFGS, the stopping criteria, the training history and
scikit-learn's callbacks."""
