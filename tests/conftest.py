"""Shared test set-up: hypothesis profiles, and the one_blas_thread fixture.

The ``ci`` profile (selected automatically when the ``CI`` environment variable is set, or with
``--hypothesis-profile=ci``) bounds the number of examples so the whole suite stays within a few
minutes on a 2-core machine. ``deadline=None`` everywhere: NumPy timings on a shared machine vary
too much for per-example deadlines to mean anything.
"""

import os

import pytest
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


@pytest.fixture
def one_blas_thread(monkeypatch):
    """The environment of a process started with one BLAS thread. ``evaluate`` and ``figures``
    default to ``--threads 1``; with this set, ``numpycam.cli`` runs them in this process
    instead of again in a child process, so capsys sees their output."""
    from numpycam.blas import THREAD_VARIABLES

    for name in THREAD_VARIABLES:
        monkeypatch.setenv(name, "1")
