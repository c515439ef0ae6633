"""The network as mathematics: activations and losses with their derivatives, the
penalty, the initial weights, the layers, the forward and backward passes, and the
optimizers' update rules. Pure functions of (parameters, X, Y); nothing here trains."""
