"""numpycam's own model files (.npz, read with allow_pickle=False) and the shipped models."""
