"""A class of crafted submissions for the grader's tests (and the exercises README's example).

``CORRECT`` answers every exercise in plain NumPy, written apart from the library so the grader
cannot be agreeing with itself. ``MISTAKES`` are the slips students make, each one function
replaced; ``MISBEHAVING`` are files that hang, exit, crash, print or allocate.

    python tests/classroom.py FOLDER      writes every submission into FOLDER
"""

import sys
from pathlib import Path

CORRECT = '''
import numpy as np


def gap_forward(f):
    return f.mean(axis=(2, 3))


def gap_backward(dF, f_shape):
    return np.ones(f_shape) * dF[:, :, None, None] / (f_shape[2] * f_shape[3])


def windows(Ho, Wo, stride, HH, WW):
    for i in range(Ho):
        for j in range(Wo):
            yield i, j, (slice(None), slice(None), slice(i * stride, i * stride + HH),
                         slice(j * stride, j * stride + WW))


def conv_forward(x, W, b, stride, pad):
    D, _, HH, WW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = (xp.shape[2] - HH) // stride + 1, (xp.shape[3] - WW) // stride + 1
    out = np.zeros((x.shape[0], D, Ho, Wo))
    for i, j, win in windows(Ho, Wo, stride, HH, WW):
        out[:, :, i, j] = np.einsum("ncpq,dcpq->nd", xp[win], W) + b
    return out


def conv_backward(dout, x, W, stride, pad):
    _, _, HH, WW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for i, j, win in windows(dout.shape[2], dout.shape[3], stride, HH, WW):
        dW += np.einsum("nd,ncpq->dcpq", dout[:, :, i, j], xp[win])
        dxp[win] += np.einsum("nd,dcpq->ncpq", dout[:, :, i, j], W)
    H, Wd = x.shape[2:]
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, dout.sum(axis=(0, 2, 3))


def maxpool_forward(x, size, stride):
    Ho, Wo = (x.shape[2] - size) // stride + 1, (x.shape[3] - size) // stride + 1
    out = np.zeros(x.shape[:2] + (Ho, Wo))
    for i, j, win in windows(Ho, Wo, stride, size, size):
        out[:, :, i, j] = x[win].max(axis=(2, 3))
    return out


def maxpool_backward(dout, x, size, stride):
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i, j, win in windows(dout.shape[2], dout.shape[3], stride, size, size):
                window = x[n, c][win[2:]]
                best, where = -np.inf, None
                for p in range(size):
                    for q in range(size):
                        if window[p, q] > best:
                            best, where = window[p, q], (p, q)
                dx[n, c, i * stride + where[0], j * stride + where[1]] += dout[n, c, i, j]
    return dx


def dense_backward(dS, F, W):
    return dS @ W, dS.T @ F, dS.sum(axis=0)


def cam_sum(f, w):
    return np.einsum("nk,nkij->nij", w, f)


def relu_backward(dout, x):
    return dout * (x > 0)


def softmax_cross_entropy(S, y):
    z = S - S.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    d = p.copy()
    d[np.arange(n), y] -= 1
    return float(loss), d / n


def grad_cam_weights(dS_df):
    return dS_df.sum(axis=(2, 3)) / (dS_df.shape[2] * dS_df.shape[3])


def source(n_in, n_out):
    s = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(s).astype(int)
    return lo, np.minimum(lo + 1, n_in - 1), s - lo


def upsample_bilinear(maps, H, W):
    y0, y1, ty = source(maps.shape[1], H)
    x0, x1, tx = source(maps.shape[2], W)
    rows = maps[:, y0] * (1 - ty)[None, :, None] + maps[:, y1] * ty[None, :, None]
    return rows[:, :, x0] * (1 - tx) + rows[:, :, x1] * tx


def grad_cam_map(f, g, H, W):
    return upsample_bilinear(np.maximum(cam_sum(f, grad_cam_weights(g)), 0), H, W)


def guided_relu_backward(dout, x):
    return dout * ((x > 0) & (dout > 0))


def guided_grad_cam(guided, L):
    return guided * L[:, None]


def box_from_map(m, threshold):
    ys, xs = np.nonzero(m >= threshold * m.max())
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def pointing_game(m, box):
    y, x = np.unravel_index(np.argmax(m), m.shape)
    return bool(box[0] <= x < box[2] and box[1] <= y < box[3])
'''

# name: (exercise, its wrong body, words the report must contain)
MISTAKES = {
    "sum_for_mean": ("gap_forward", "def gap_forward(f):\n    return f.sum(axis=(2, 3))\n",
                     "Z = 20 times too large"),
    "flipped_kernel": ("conv_forward",
                       "def conv_forward(x, W, b, stride, pad):\n"
                       "    return _right_conv(x, W[:, :, ::-1, ::-1].copy(), b, stride, pad)\n",
                       "the kernel looks flipped"),
    "off_by_one": ("conv_forward",
                   "def conv_forward(x, W, b, stride, pad):\n"
                   "    out = _right_conv(x, W, b, stride, pad)\n"
                   "    return np.concatenate([out, out[:, :, -1:]], axis=2)\n",
                   "one too many rows or columns"),
    "transposed_weight": ("dense_backward",
                          "def dense_backward(dS, F, W):\n    return dS @ W, F.T @ dS, dS.sum(0)\n",
                          "the weight looks transposed"),
    "missing_relu": ("grad_cam_map",
                     "def grad_cam_map(f, g, H, W):\n"
                     "    return upsample_bilinear(cam_sum(f, grad_cam_weights(g)), H, W)\n",
                     "negative values remain"),
    "ge_for_gt": ("maxpool_backward",
                  "def maxpool_backward(dout, x, size, stride):\n"
                  "    dx = np.zeros_like(x)\n"
                  "    for n, c in np.ndindex(*x.shape[:2]):\n"
                  "        for i, j, win in windows(dout.shape[2], dout.shape[3], stride, size, size):\n"
                  "            window, best, where = x[n, c][win[2:]], -np.inf, None\n"
                  "            for p, q in np.ndindex(size, size):\n"
                  "                if window[p, q] >= best:\n"
                  "                    best, where = window[p, q], (p, q)\n"
                  "            dx[n, c, i * stride + where[0], j * stride + where[1]] += dout[n, c, i, j]\n"
                  "    return dx\n",
                  "LAST of its tied maxima"),
}
# The exercises the mistakes live in: what the folder test grades (a few, to stay quick).
GRADED = ("gap_forward", "conv_forward", "maxpool_backward", "dense_backward", "grad_cam_map")

MISBEHAVING = {
    "endless_loop": CORRECT + "\n\ndef gap_forward(f):\n    while True:\n        pass\n",
    "exit_at_import": "import sys\n\nsys.exit(0)\n" + CORRECT,
    "exit_in_exercise": CORRECT + "\n\ndef conv_forward(x, W, b, stride, pad):\n"
                                  "    raise SystemExit(0)\n",
    "os_exit": CORRECT + "\n\ndef dense_backward(dS, F, W):\n    import os\n    os._exit(0)\n",
    "syntax_error": "import numpy as np\n\ndef gap_forward(f)\n    return f.mean((2, 3))\n",
    "imports_numpycam": "from numpycam.ops.gap import gap_forward as _g\n\n\n"
                        "def gap_forward(f):\n    return _g(f)[0]\n",
    "segfault": CORRECT + "\n\ndef grad_cam_map(f, g, H, W):\n    import os\n    import signal\n\n"
                          "    os.kill(os.getpid(), signal.SIGSEGV)\n",
    "prints_a_megabyte": "print('x' * 1_000_000)\n" + CORRECT,
    "allocates_10_gb": CORRECT + "\n\ndef gap_forward(f):\n    big = np.ones(10 * 2**30 // 8)\n"
                                 "    return big[:0]\n",
}


def mistake(name: str) -> str:
    """CORRECT with one function replaced by the slip; the right versions stay callable as
    _right_conv / _right_pool_back for slips defined in terms of them."""
    _, body, _ = MISTAKES[name]
    return (CORRECT + "\n\n_right_conv, _right_pool_back = conv_forward, maxpool_backward\n\n\n"
            + body)


def write_class(folder) -> Path:
    """Every submission as FOLDER/<name>.py: the correct one, the mistakes, the misbehaving."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "correct.py").write_text(CORRECT)
    for name in MISTAKES:
        (folder / f"{name}.py").write_text(mistake(name))
    for name, text in MISBEHAVING.items():
        (folder / f"{name}.py").write_text(text)
    return folder


if __name__ == "__main__":
    print(write_class(sys.argv[1]))
