"""Data randomisation (Adebayo et al. 2018, "Sanity Checks for Saliency Maps", Section 4).

Train one recipe twice: on the true labels and on a random permutation of them. A small network
memorises a small training set either way (high training accuracy), but only the first learnt
anything about the images; the second's test accuracy is chance. A map that explains the model
must then differ between the two; a map that stays the same shows the input, not what the model
learnt. Compared with numpycam.evaluation.sanity.compare on test images, for the true class of each image.

:data:`RECIPE` keeps it to seconds (128 images of 32 x 32, on a plain background); memorising
random labels needs more epochs than learning the real ones, and both get the same.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numpycam.data import shapes
from numpycam.evaluation.sanity import INPUT_MAPS, compare, maps_of
from numpycam.nn.builders import gap_cnn
from numpycam.train.fit import accuracy, fit

__all__ = ["RECIPE", "DataRandomisation", "data_randomisation"]

RECIPE = {"n": 128, "size": 32, "clutter": 0.0, "train_seed": 21, "test": {"n": 64, "seed": 22},
          "widths": (16, 32, 64), "permutation_seed": 0, "seed": 0,
          "fit": {"epochs": 60, "lr": 5e-3, "batch_size": 16, "flip": False}}


class DataRandomisation(NamedTuple):
    """Both models, their accuracies and how alike their maps are.

    models       {"true labels": model, "random labels": model}
    histories    the same keys, numpycam.train.fit.History
    train_acc, test_acc   {key: accuracy} on the labels each was trained on / on a test set
    scores       {method: {"spearman", "spearman_abs", "ssim"}}: true-label maps against
                 random-label maps of the same test images and classes
    maps         {method: (2, H, W)} both models' maps of the first test image
    """

    models: dict
    histories: dict
    train_acc: dict
    test_acc: dict
    scores: dict
    maps: dict


def data_randomisation(methods=("cam", "grad_cam", *INPUT_MAPS), recipe: dict | None = None,
                       log=None) -> DataRandomisation:
    """Train ``gap_cnn`` on true and on permuted labels with :data:`RECIPE` (entries of
    ``recipe`` replace it) and compare the maps of the two on a test set."""
    r = {**RECIPE, **(recipe or {})}
    train = shapes(r["n"], seed=r["train_seed"], size=r["size"], clutter=r["clutter"])
    test = shapes(r["test"]["n"], seed=r["test"]["seed"], size=r["size"], clutter=r["clutter"])
    permuted = np.random.default_rng(r["permutation_seed"]).permutation(train.labels)
    models, histories, train_acc, test_acc = {}, {}, {}, {}
    for key, labels in (("true labels", train.labels), ("random labels", permuted)):
        model = gap_cnn(widths=r["widths"], seed=r["seed"])
        histories[key] = fit(model, train.images, labels, seed=r["seed"], log=log, **r["fit"])
        models[key] = model
        train_acc[key] = accuracy(model, train.images, labels)
        test_acc[key] = accuracy(model, test.images, test.labels)
    size = test.images.shape[2:]
    a, b = (maps_of(models[k], test.images, test.labels, methods, size) for k in models)
    return DataRandomisation(models, histories, train_acc, test_acc,
                             {m: compare(a[m], b[m]) for m in methods},
                             {m: np.stack([a[m][0], b[m][0]]) for m in methods})
