"""Training: fit, optimisers, the recipe of the shipped models, GAP heads."""
