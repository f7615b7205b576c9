"""The 1000 ImageNet-1k classes: their names, a class by name, and the top classes of a score row.

    class_names()[285]          # 'Egyptian cat'
    class_index("tabby")        # 281
    top_classes(S, 3)           # [(index, name, softmax probability), ...] for scores S (1000,)

The names are read from ``data/classes.txt`` beside this module (from torchvision, BSD-3-Clause;
origins and licences: ``numpycam/imagenet/data/SOURCES.md``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from numpycam.methods.targets import class_number

CLASSES_FILE = Path(__file__).resolve().parent / "data" / "classes.txt"
# ImageNet classes 281-285: tabby, tiger cat, Persian cat, Siamese cat, Egyptian cat
CAT_CLASSES = (281, 282, 283, 284, 285)

__all__ = ["CAT_CLASSES", "class_index", "class_names", "top_classes"]


@functools.cache
def class_names() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names; index k is class k of the network's scores.

    Read from ``numpycam/imagenet/data/classes.txt`` (from torchvision, BSD-3-Clause; see the
    header of that file for the origin).
    """
    lines = CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    names = tuple(line for line in lines if line and not line.startswith("#"))
    if len(names) != 1000:
        raise RuntimeError(f"{CLASSES_FILE} holds {len(names)} names, not 1000: reinstall numpycam")
    return names


def class_index(key: str | int) -> int:
    """Class index of a name (e.g. "tabby"; any case where that names one class) or of an index
    given as int or text ("281"); the names are matched by numpycam.methods.targets.class_number."""
    if isinstance(key, (bool, np.bool_)) or not isinstance(key, (str, int, np.integer)):
        raise TypeError(f"a class is an index 0-999 or a name such as 'tabby', got {key!r} "
                        f"({type(key).__name__})")
    names = class_names()
    text = str(key).strip()
    if isinstance(key, (int, np.integer)) or text.isdigit():
        k = int(text)
        if not 0 <= k < len(names):
            raise ValueError(f"class index {k} is out of range: ImageNet classes are 0 to {len(names) - 1}")
        return k
    return class_number(text, names, where="the ImageNet classes",  # "Cardigan" 264, "cardigan" 474
                        index_hint="an index 0-999 or a name from numpycam.imagenet.classes.class_names()")


def top_classes(scores, k: int = 5) -> list[tuple[int, str, float]]:
    """The k most probable classes of one row of scores S (1000,): (index, name, softmax prob)."""
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if s.size != 1000:
        raise ValueError(f"expected the 1000 ImageNet scores of one image, got {s.size} values")
    p = np.exp(s - s.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")[:k]
    names = class_names()
    return [(int(i), names[i], float(p[i])) for i in order]
