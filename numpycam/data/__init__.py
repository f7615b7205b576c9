"""Procedural, weakly labelled shapes for weakly supervised localisation.

Each image of :func:`shapes` holds ONE filled object of one of four classes, in label order
``CLASSES = ("circle", "square", "triangle", "cross")``, at a random position, size, rotation and
colour, on a cluttered background (smooth colour noise, fine texture, a faint grating and thin
distractor strokes: line segments and arcs). Background and object colours are random, so neither
colour nor position tells the class; the object colour only keeps a minimum distance from the
background underneath it so the shape stays visible.

Weak supervision: train with ``labels`` only. ``boxes`` and ``masks`` are ground truth for
*evaluating* localisation (CAM / Grad-CAM) and must never be used for training.

Conventions: images are ``(N, 3, H, W)`` (channels first), float in [0, 1] by default or uint8 in
0..255 with ``dtype=np.uint8`` (``round(255 * float_image)``, the same picture). ``x`` is the column
and ``y`` the row; a box is ``(x0, y0, x1, y1)`` with EXCLUSIVE ends, so ``mask[y0:y1, x0:x1]``
holds every object pixel. The box is computed from the mask, and the mask is exactly the set of
pixels painted with the object's colour (before pixel noise). Everything is deterministic given
``seed`` (a private ``numpy.random.default_rng(seed)``; the global random state is never touched).

Modules: :mod:`numpycam.data.datasets` (one or two objects per image, re-exported here),
:mod:`numpycam.data.multi` (one to three objects, multi-hot labels), :mod:`numpycam.data.render`
(how the objects and backgrounds are drawn).
"""

from numpycam.data.datasets import CLASSES, SceneData, ShapesData, shapes, two_object_scene

__all__ = ["CLASSES", "SceneData", "ShapesData", "shapes", "two_object_scene"]
