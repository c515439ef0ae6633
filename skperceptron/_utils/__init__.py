"""What every part of the package uses: scikit-learn's private helpers, warnings that
point at the user's line, and the devices that make it fast (``speed``)."""
