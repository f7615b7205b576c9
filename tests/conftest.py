"""Shared test set-up: hypothesis profiles.

The ``ci`` profile (selected automatically when the ``CI`` environment variable is set, or with
``--hypothesis-profile=ci``) bounds the number of examples so the whole suite stays within a few
minutes on a 2-core machine. ``deadline=None`` everywhere: NumPy timings on a shared machine vary
too much for per-example deadlines to mean anything.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile(
    "dev",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
