"""Pure forward / backward maths, one pair per operation.

Every operation is written as ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache)``,
side by side, in the style of the CS231n assignments. The layer classes in
:mod:`numpycam.nn.layers` only keep parameters and caches; the maths lives here.
"""
