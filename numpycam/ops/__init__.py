"""Pure forward / backward maths, one pair per operation, one operation per file.

Every operation is written as ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache)``,
side by side, in the style of the CS231n assignments, with its equation in the module docstring.
The layer classes in :mod:`numpycam.nn` only keep parameters and caches; the maths lives here.

    conv         convolution: the definition, as loops       conv_fast: the im2col path layers run
    depthwise    one filter per channel: the definition       depthwise_fast: the per-tap path
    pool         max pooling: the loops, then the fast path
    gap          Global Average Pooling, F_k = (1/Z) sum_ij f_k(i, j)
    relu         ReLU, and guided backprop's rule for its backward pass
    relu6        ReLU6, min(max(x, 0), 6)
    dense        S = x W^T + b
    flatten      (N, C, H, W) -> (N, C*H*W)
    center       each image minus its mean colour
    norm         batch normalisation
    pad          zero padding, and TensorFlow's "same" rule
"""
