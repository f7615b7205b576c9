"""Layers, blocks and the Sequential model: parameters and caches around numpycam.ops (core)."""
