"""Dense (fully connected): the class scores S from the GAP features F (or any rows x).

    x (N, K) -> S (N, M):    S = x W^T + b,    W (M, K), b (M,)

so W[c, k] is the post's w_k^c and, after GAP, S^c = sum_k w_k^c F_k + b_c. Backward:

    dx = dout W  (N, K)        dW = dout^T x  (M, K)        db = sum_n dout  (M,)
"""

from __future__ import annotations


def dense_forward(x, W, b):
    """S = x W^T + b: (N, K) -> (N, M). The cache is x."""
    return x @ W.T + b, x


def dense_backward(dout, x, W, need_dW: bool = True):
    """(dx, dW, db) = (dout W, dout^T x, sum_n dout); dW and db are None without ``need_dW``
    (explanations need only dx, and dW would cost as much again)."""
    dx = dout @ W  # (N, K)
    if not need_dW:
        return dx, None, None
    return dx, dout.T @ x, dout.sum(axis=0)
