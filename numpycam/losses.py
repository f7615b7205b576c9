"""Softmax and cross-entropy on the class scores S (N, M).

    p_c = exp(S^c - max_j S^j) / sum_j exp(S^j - max_j S^j)     (shifting by the max changes
                                                                 nothing but keeps exp finite)
    L = -(1/N) sum_n log p_{y_n}        dL/dS = (p - onehot(y)) / N
"""

from __future__ import annotations

import numpy as np


def _log_softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _checked(scores) -> np.ndarray:
    s = np.asarray(scores)
    if s.dtype.kind not in "iuf" or s.ndim != 2 or 0 in s.shape:
        raise ValueError(f"scores must be a real (N, M) array with N, M >= 1, got shape {s.shape} "
                         f"dtype {s.dtype}; for one row use scores[None]")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinite values; softmax needs finite scores")
    return s


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """log p, stable for finite scores of any size: (N, M) -> (N, M)."""
    return _log_softmax(_checked(scores))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Class probabilities p (N, M), each row summing to 1."""
    return np.exp(log_softmax(scores))


def softmax_cross_entropy(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of integer ``labels`` (N,) under softmax(scores), and dL/dscores."""
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.ndim != 2 or labels.shape != (scores.shape[0],):
        raise ValueError(f"need scores (N, M) and labels (N,), got {scores.shape} and {labels.shape}")
    if labels.dtype.kind not in "iu" or np.any((labels < 0) | (labels >= scores.shape[1])):
        raise ValueError(f"labels must be ints in 0..{scores.shape[1] - 1}")
    n = scores.shape[0]
    logp = _log_softmax(scores)  # not checked: a non-finite loss is how training sees divergence
    loss = -float(logp[np.arange(n), labels].mean())
    dscores = np.exp(logp)
    dscores[np.arange(n), labels] -= 1
    return loss, dscores / n
