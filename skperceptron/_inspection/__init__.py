"""What looks at a fitted estimator: the gradient check and the Displays."""
