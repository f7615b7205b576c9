"""Training: minibatch gradient descent on a cross-entropy, with a history.

    for each epoch: shuffle; for each batch: S = model(x); L, dS = loss(S, y);
                    model.backward(dS); optimiser.step()

The loss follows the labels: class indices (N,) train with softmax cross-entropy (one class
per image), multi-hot rows (N, M) with sigmoid binary cross-entropy (a set of classes per
image; the scores S stay logits). Multi-label runs report exact-set accuracy (every class's
yes/no right, sigma(S^c) > 0.5 <=> S^c > 0) and the test mean average precision.

Images may be stored compactly as uint8 (0..255); each batch is converted to float32 in [0, 1]
only when it is used, so a large training set costs a quarter of the memory.
Only trainable layers move: ``model.freeze("conv1", ...)`` keeps layers fixed (fine-tuning).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from numpycam.nn.losses import sigmoid_cross_entropy, softmax_cross_entropy
from numpycam.nn.sequential import Sequential
from numpycam.train.optim import SGD, Adam
from numpycam.validate import positive_int


def as_batch(images: np.ndarray, dtype=np.float32) -> np.ndarray:
    """uint8 pixels become ``dtype`` in [0, 1] (divided by 255); float images pass unchanged."""
    if images.dtype == np.uint8:
        return images.astype(dtype) / np.asarray(255, dtype=dtype)
    return images


@dataclass
class History:
    """One row per epoch: loss, train and test accuracy, learning rate, seconds."""

    rows: list[dict] = field(default_factory=list)

    def __getitem__(self, key: str) -> list:
        return [row[key] for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, key: str) -> bool:
        return bool(self.rows) and key in self.rows[0]

    @property
    def seconds(self) -> float:
        return float(sum(self["seconds"]))

    def __repr__(self) -> str:
        if not self.rows:
            return "History(empty)"
        last = self.rows[-1]
        test = f", test acc {last['test_acc']:.3f}" if last["test_acc"] is not None else ""
        test += f", test mAP {last['test_map']:.3f}" if last.get("test_map") is not None else ""
        return (f"History({len(self)} epochs in {self.seconds:.1f} s: loss {last['loss']:.4f}, "
                f"train acc {last['train_acc']:.3f}{test})")


def check_labels(images, labels, num_classes: int, what: str = "labels",
                 multi: bool | None = False) -> tuple:
    """(images, labels) as arrays: as many labels as images, at least one image. Labels are
    class indices (N,) in 0..num_classes-1, or with ``multi=True`` multi-hot rows (N, M) of 0/1
    (``multi=None`` accepts either, told apart by ndim). A list is fine; a mismatch is an error,
    never broadcast."""
    if isinstance(images, np.ma.MaskedArray) or isinstance(labels, np.ma.MaskedArray):
        raise TypeError(f"masked arrays are refused ({what}): the mask would be ignored; pass "
                        "only the valid examples, e.g. x[~mask]")
    images, labels = np.asarray(images), np.asarray(labels)
    if multi is None:
        multi = labels.ndim == 2
    if multi:
        if labels.ndim != 2 or labels.dtype.kind not in "biuf":
            raise TypeError(f"multi-label {what} must be multi-hot rows (N, M) of 0/1, got dtype "
                            f"{labels.dtype} shape {labels.shape}")
        if labels.shape[1] != num_classes or not np.all((labels == 0) | (labels == 1)):
            raise ValueError(f"multi-label {what} must be 0/1 rows of {num_classes} columns (one "
                             f"per class of this model), got shape {labels.shape}")
    elif labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise TypeError(f"{what} must be a 1-D array of class indices (ints), got dtype "
                        f"{labels.dtype} shape {labels.shape}; multi-hot (N, M) rows train with "
                        "loss='sigmoid'")
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"{len(images)} images but {len(labels)} {what}; give one label per image "
                         "and at least one image")
    if not multi and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{what} must be in 0..{num_classes - 1} (this model has {num_classes} "
                         f"classes), got values from {labels.min()} to {labels.max()}")
    return images, labels


def scores(model: Sequential, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """The class scores S (N, M) of uint8 or float images, ``batch_size`` at a time."""
    return np.concatenate([model.forward(as_batch(images[i : i + batch_size], model.dtype))
                           for i in range(0, len(images), batch_size)])


def _hits(s: np.ndarray, labels: np.ndarray) -> int:
    """Images whose prediction is right: top score = label, or every S^c > 0 <=> class c present."""
    if labels.ndim == 2:
        return int(((s > 0) == (labels > 0)).all(axis=1).sum())
    return int((s.argmax(1) == labels).sum())


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """sum_i (R_i - R_{i-1}) P_i over the distinct scores from the top; exact, no grid.

    Equals ``sklearn.metrics.average_precision_score(positive, scores)`` (tests/test_wsol.py
    checks it where scikit-learn is installed): tied scores enter together, as one threshold.
    """
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], positive[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each distinct score
    tp = np.cumsum(y)[last]  # true positives of {score >= s_i}
    precision, recall = tp / (last + 1), tp / tp[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def mean_average_precision(s: np.ndarray, labels: np.ndarray) -> float:
    """Mean over classes of the average precision of S^c ranking the images that hold class c
    (``average_precision``, equal to scikit-learn's); classes present in no image
    are left out. s (N, M) scores or probabilities, labels (N, M) multi-hot."""
    s, labels = np.asarray(s, np.float64), np.asarray(labels) > 0
    aps = [average_precision(s[:, c], labels[:, c]) for c in range(s.shape[1]) if labels[:, c].any()]
    if not aps:
        raise ValueError("no class is present in any image: average precision is undefined")
    return float(np.mean(aps))


def accuracy(model: Sequential, images: np.ndarray, labels: np.ndarray, batch_size: int = 64) -> float:
    """Share of images predicted right (in batches): the highest score is the label, or for
    multi-hot labels (N, M) the exact set: S^c > 0 (sigma > 0.5) for the present classes only."""
    batch_size = positive_int(batch_size, "batch_size")
    images, labels = check_labels(images, labels, model.num_classes, multi=None)
    return _hits(scores(model, images, batch_size), labels) / len(images)


def fit(model: Sequential, images: np.ndarray, labels: np.ndarray, *, epochs: int = 10,
        batch_size: int = 64, optimizer: str = "adam", lr: float = 3e-3, weight_decay: float = 0.0,
        schedule: str = "cosine", warmup: int = 0, loss: str | None = None,
        test: tuple[np.ndarray, np.ndarray] | None = None, flip: bool = True, seed: int = 0,
        log: Callable[[str], None] | None = print) -> History:
    """Train ``model`` in place and return its :class:`History`.

    images (N, C, H, W) uint8 or float, labels (N,) int or multi-hot (N, M). ``loss``:
    "softmax" (labels (N,)), "sigmoid" (labels (N, M)), or None to pick it from the labels'
    shape. For multi-hot labels ``train_acc`` and ``test_acc`` are exact-set accuracies and each
    row also holds ``test_map``. ``optimizer`` is "adam" or "sgd"
    (momentum 0.9); ``schedule`` "cosine" decays lr to 0 over the run, "constant" keeps it;
    ``warmup`` > 0 also scales it by (step + 1) / warmup over the first ``warmup`` steps, so the
    first updates of a fresh network are small.
    ``flip`` mirrors a random half of every batch left-right (the classes here are symmetric).
    ``test`` = (images, labels) is scored after every epoch. Training stops with a
    FloatingPointError, weights untouched by the bad step, when it diverges: the loss is not
    finite, or above a hundred times the loss of a uniform guess (100 log M for softmax, 100 M
    log 2 for sigmoid), which no run that is learning comes near.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"fit trains a numpycam Sequential model, got {type(model).__name__}; "
                        "e.g. nc.gap_cnn() or nc.load(path)")
    epochs = positive_int(epochs, "epochs")
    warmup = positive_int(warmup, "warmup", minimum=0, hint="it is a number of steps")
    batch_size = positive_int(batch_size, "batch_size")
    if loss not in (None, "softmax", "sigmoid"):
        raise ValueError(f"loss must be 'softmax' (labels (N,)), 'sigmoid' (multi-hot (N, M)) or "
                         f"None (chosen from the labels), got {loss!r}")
    multi = None if loss is None else loss == "sigmoid"
    images, labels = check_labels(images, labels, model.num_classes, multi=multi)
    multi = labels.ndim == 2
    loss_fn = sigmoid_cross_entropy if multi else softmax_cross_entropy
    m = model.num_classes
    too_high = 100 * (m * math.log(2) if multi else math.log(m))  # 100 x a uniform guess's loss
    if test is not None:
        if not isinstance(test, tuple) or len(test) != 2:
            raise TypeError("test must be a pair (images, labels)")
        test = check_labels(*test, model.num_classes, what="test labels", multi=multi)
    if flip and images.ndim != 4:
        raise ValueError(f"flip=True mirrors images (N, C, H, W), but the inputs have shape "
                         f"{images.shape}; pass flip=False for a model on flat rows")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    if not model.parameters():
        raise ValueError("every layer is frozen: unfreeze some layers before training")
    opt = (Adam(model, lr=lr, weight_decay=weight_decay) if optimizer == "adam"
           else SGD(model, lr=lr, momentum=0.9, weight_decay=weight_decay))
    rng = np.random.default_rng(seed)
    n = len(images)
    steps_per_epoch = math.ceil(n / batch_size)
    total, step = epochs * steps_per_epoch, 0
    history = History()
    for epoch in range(1, epochs + 1):
        start, losses, hits = time.perf_counter(), [], 0
        order = rng.permutation(n)
        for i in range(0, n, batch_size):
            idx = np.sort(order[i : i + batch_size])  # sorted: faster gather, same batch
            x, y = as_batch(images[idx], model.dtype), labels[idx]
            if flip:
                mirror = rng.random(len(idx)) < 0.5
                x = np.where(mirror[:, None, None, None], x[..., ::-1], x)
            s = model.forward(x)
            value, ds = loss_fn(s, y)
            if not math.isfinite(value) or value > too_high:
                raise FloatingPointError(
                    f"training diverged at epoch {epoch}, step {step} (loss = {value}); the weights "
                    f"are left as they were before this step. Lower the learning rate (lr={lr})."
                )
            model.backward(ds, input_grad=False)
            opt.lr = 0.5 * lr * (1 + math.cos(math.pi * step / total)) if schedule == "cosine" else lr
            if step < warmup:
                opt.lr *= (step + 1) / warmup
            opt.step()
            step += 1
            losses.append(value * len(idx))
            hits += _hits(s, y)
        test_s = scores(model, test[0]) if test is not None else None
        row = {"epoch": epoch, "loss": sum(losses) / n, "train_acc": hits / n,
               "test_acc": _hits(test_s, test[1]) / len(test_s) if test is not None else None,
               "lr": opt.lr, "seconds": time.perf_counter() - start}
        if multi:
            row["test_map"] = mean_average_precision(test_s, test[1]) if test is not None else None
        history.rows.append(row)
        if log is not None:
            test_txt = f"  test acc {row['test_acc']:.3f}" if test is not None else ""
            test_txt += f"  test mAP {row['test_map']:.3f}" if row.get("test_map") is not None else ""
            log(f"epoch {epoch:>2}/{epochs}  loss {row['loss']:.4f}  train acc {row['train_acc']:.3f}"
                f"{test_txt}  ({row['seconds']:.1f} s)")
    return history
