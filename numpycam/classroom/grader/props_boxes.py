"""Checks of the lesson 7 exercises: the box of a thresholded map, IoU and the pointing game.

Boxes are (x0, y0, x1, y1) with exclusive ends, x the column and y the row.
"""

from __future__ import annotations

import numpy as np

from numpycam.classroom.grader.judge import CASES, Failure, array, call, expect, on, rngs, suspect


def box_hand(fn, seed):
    m = np.array([[0.0, 1, 0, 0], [0, 5, 5, 0], [0, 0, 0, 0]])
    with on("map = [[0, 1, 0, 0], [0, 5, 5, 0], [0, 0, 0, 0]], threshold 0.2"):
        got = array(call(fn, m, 0.2), (4,), "the box")
        suspect(got, [([1, 1, 3, 2], "the pixel equal to threshold * max (1 = 0.2 * 5) was left "
                                     "out: keep map >= threshold * max, not >"),
                      ([1, 0, 2, 1], "the ends are exclusive: x1 = last column + 1, y1 = last "
                                     "row + 1"),
                      ([0, 1, 2, 3], "x is the column and y the row: (x0, y0, x1, y1)")])
        expect(got, [1.0, 0, 3, 2], "the box")


def blob(rng):
    """A smooth map with one peak, so its thresholded region is one component."""
    h, w = (int(v) for v in rng.integers(3, 12, 2))
    y0, x0, s = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.5, 3)
    yy, xx = np.mgrid[:h, :w]
    return np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / (2 * s * s)) + 0.01


def box_library(fn, seed):
    from numpycam.evaluation.localize import box_from_map

    for rng in rngs(seed, CASES):
        m, t = blob(rng), float(rng.uniform(0.1, 0.9))
        with on(f"a one-peak map {m.shape}, threshold {t:.2f}"):
            expect(array(call(fn, m, t), (4,), "the box"), box_from_map(m, t), "the box")


def iou_hand(fn, seed):
    cases = (((0, 0, 2, 2), (1, 1, 3, 3), 1 / 7, "overlapping by one pixel"),
             ((0, 0, 2, 2), (2, 0, 4, 2), 0.0, "touching"),
             ((0, 0, 1, 1), (2, 2, 3, 3), 0.0, "apart"))
    for a, b, want, what in cases:
        with on(f"boxes {a} and {b} ({what})"):
            got = array(call(fn, np.array(a, float), np.array(b, float)), (), "the IoU")
            if what == "apart" and got > 0:
                raise Failure(f"IoU = {float(got):g}: clip the overlap's width and height at 0 "
                              "before multiplying (two negatives make a positive)")
            if what == "overlapping by one pixel" and np.isclose(got, 4 / 14):
                raise Failure("IoU = 4/14: the ends are exclusive, so the area is (x1 - x0) * "
                              "(y1 - y0), with no + 1")
            expect([got], [want], "the IoU")


def iou_library(fn, seed):
    from numpycam.evaluation.localize import iou

    for rng in rngs(seed, CASES):
        a, b = (np.sort(rng.integers(0, 10, (2, 2)), axis=0).T.ravel()[[0, 2, 1, 3]]
                + [0, 0, 1, 1] for _ in range(2))  # (x0, y0, x1, y1), never empty
        a, b = a.astype(float), b.astype(float)
        with on(f"boxes {a.astype(int).tolist()} and {b.astype(int).tolist()}"):
            expect([array(call(fn, a, b), (), "the IoU")], [iou(a, b)], "the IoU")


def pointing_hand(fn, seed):
    m = np.zeros((4, 4))
    m[0, 1], m[1, 3] = 1.0, 9.0  # the peak: row (y) 1, column (x) 3
    boxes = ((3, 0, 4, 2), (1, 3, 2, 4), (0, 0, 3, 3))
    want, swapped = (True, False, False), (False, True, False)  # swapped: x read as the row
    got = []
    for box in boxes:
        with on(f"map 4 x 4, zero but m[0, 1] = 1 and m[1, 3] = 9, box {box}"):
            hit = call(fn, m, np.array(box))
            if not isinstance(hit, (bool, np.bool_)):
                raise Failure(f"returned a {type(hit).__name__}, not a bool")
            got.append(bool(hit))
    if tuple(got) == swapped:
        raise Failure("x and y are swapped: the peak at row 1, column 3 has x = 3, y = 1, and a "
                      "box is (x0, y0, x1, y1); x is the column")
    for box, g, w in zip(boxes, got, want, strict=True):
        if g != w:
            raise Failure(f"box {box}: expected {w}, got {g}; the peak is at row 1, column 3 "
                          "and ends are exclusive, so a hit needs x0 <= 3 < x1 and y0 <= 1 < y1")


def pointing_library(fn, seed):
    from numpycam.evaluation.pointing import pointing_game

    for rng in rngs(seed, CASES):
        m = rng.standard_normal(tuple(int(v) for v in rng.integers(2, 9, 2)))
        h, w = m.shape
        box = np.array([rng.integers(0, w), rng.integers(0, h), 0, 0])
        box[2:] = box[:2] + rng.integers(1, [w - box[0] + 1, h - box[1] + 1])
        with on(f"map {m.shape}, box {box.tolist()}"):
            got, want = call(fn, m, box), pointing_game(m, box)
            if bool(got) != want:
                raise Failure(f"expected {want}, got {got}")
