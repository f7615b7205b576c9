"""Losses on the class scores S (N, M): softmax cross-entropy (one class per image) and sigmoid
binary cross-entropy (any set of classes per image).

    p_c = exp(S^c - max_j S^j) / sum_j exp(S^j - max_j S^j)     (shifting by the max changes
                                                                 nothing but keeps exp finite)
    L = -(1/N) sum_n log p_{y_n}        dL/dS = (p - onehot(y)) / N

For the multi-label loss see :func:`sigmoid_cross_entropy`.
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


def sigmoid(scores: np.ndarray) -> np.ndarray:
    """Presence probabilities sigma(S) = 1 / (1 + exp(-S)), one per class, not summing to 1.

    Written as exp(-|S|) / (1 + exp(-|S|)) for negative S, so exp never overflows."""
    s = np.asarray(scores)
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0, e) / (1.0 + e)


def sigmoid_cross_entropy(scores: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of multi-hot ``targets`` (N, M) under sigmoid(scores), and dL/dS.

    One yes/no question per class (is class c in the image?), summed over the classes and
    averaged over the images; the scores S^c stay the logits, so CAM's equation is unchanged:

        L = -(1/N) sum_n sum_c [ y log sigma(S) + (1 - y) log(1 - sigma(S)) ]
          =  (1/N) sum_n sum_c [ max(S, 0) - y S + log(1 + exp(-|S|)) ]     (finite for any S)
        dL/dS = (sigma(S) - y) / N

    targets: 0/1 (or probabilities in [0, 1]), same shape as scores.
    """
    scores, targets = np.asarray(scores), np.asarray(targets)
    if scores.ndim != 2 or targets.shape != scores.shape:
        raise ValueError(f"need scores (N, M) and multi-hot targets of the same shape, got "
                         f"{scores.shape} and {targets.shape}")
    if targets.dtype.kind not in "biuf" or np.any((targets < 0) | (targets > 1)):
        raise ValueError("targets must be 0/1 (class absent/present) or probabilities in [0, 1]")
    t = targets.astype(scores.dtype if scores.dtype.kind == "f" else np.float64)
    n = scores.shape[0]
    per = np.maximum(scores, 0) - t * scores + np.log1p(np.exp(-np.abs(scores)))  # (N, M)
    return float(per.sum() / n), (sigmoid(scores) - t) / n
