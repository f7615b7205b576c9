"""Several classes per image in one call: one forward pass and one backward pass per class.

    python benchmarks/several_classes.py

On the shipped photo of a cat and the ImageNet network (the imagenet extra), prints the class
``c=None`` picks, the time of Grad-CAM for the top five classes as one (1, 5) call, as five
calls, and as one call on the image repeated five times, and the largest difference between the
maps; then checks that a target summing the five cat classes gives, before the ReLU, the sum of
their maps. The numbers are quoted in docs/python.md. Timings depend on the machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpycam as nc  # noqa: E402
from numpycam.imagenet.classes import CAT_CLASSES  # noqa: E402
from numpycam.imagenet.photos import load_image  # noqa: E402
from numpycam.imagenet.preprocess import preprocess  # noqa: E402


def timed(call):
    start = time.perf_counter()
    out = call()
    return out, time.perf_counter() - start


def main() -> int:
    try:
        model = nc.pretrained("efficientnet_lite0")
    except (ImportError, FileNotFoundError) as err:
        print(f"needs the imagenet extra: {err}")
        return 0
    x = preprocess(load_image("chelsea"))  # (1, 3, 224, 224)
    e = nc.grad_cam(model, x, details=True)  # c=None: the top class
    print(f"c=None explains class {int(e.c[0])} ({model.class_names[int(e.c[0])]})")
    top5 = np.argsort(-e.scores[0])[:5]
    nc.grad_cam(model, x, [top5])  # warm up
    together, t_one = timed(lambda: nc.grad_cam(model, x, [top5]))  # (1, 5, 7, 7)
    apart, t_five = timed(lambda: [nc.grad_cam(model, x, int(k))[0] for k in top5])
    repeated, t_rep = timed(lambda: nc.grad_cam(model, np.repeat(x, 5, axis=0), top5))
    diff = max(float(np.abs(together[0] - np.stack(apart)).max()),
               float(np.abs(together[0] - repeated).max()))
    print(f"Grad-CAM of the top 5 classes {top5.tolist()}: one (1, 5) call {t_one:.2f} s, "
          f"five calls {t_five:.2f} s, the image repeated 5 times {t_rep:.2f} s; "
          f"largest difference {diff:.3g}")
    w = np.zeros(model.num_classes)
    w[list(CAT_CLASSES)] = 1  # y = the sum of the five cat scores
    summed = nc.grad_cam(model, x, target=w, relu=False)
    each = sum(nc.grad_cam(model, x, k, relu=False) for k in CAT_CLASSES)
    print(f"target = sum of the cat classes: largest difference from the sum of their maps "
          f"{float(np.abs(summed - each).max()):.3g} (the maps reach {float(np.abs(each).max()):.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
