"""What every member of the family shares; a method file adds only its weight rule.

    f        the output of ``layer`` (N, K, h, w), by default the last 4-D map (the one fed to
             GAP or Flatten)
    g        dS^c/df (N, K, h, w), S^c the raw score (logit) of class c, one backward pass
    weights  (N, K) or per position (N, K, h, w): the method
    map      sum_k weight_k f_k, then ReLU if the method (or ``relu=``) asks for it. (N, h, w).

``from_rule`` turns a weight rule into the public function, so a method file holds the rule,
the equation docstring and one line; numpycam.methods.registry lists every method.
"""

from __future__ import annotations

from collections.abc import Callable

from numpycam.methods.classmaps import finish, gradient_method

__all__ = ["finish", "from_rule", "gradient_method"]


def from_rule(name: str, weights_of: Callable, *, relu: bool, doc: str) -> Callable:
    """``name(model, x, c, layer=None, *, relu=relu, details=False)``: the map (N, h, w) whose
    channel weights are ``weights_of(f, g)`` at ``layer``, g = dS^c/df from one backward pass.
    ``doc`` is the function's docstring (its equation and paper)."""

    def method(model, x, c, layer: str | int | None = None, *, relu: bool = relu,
               details: bool = False, batch_size: int = 64):
        return gradient_method(model, x, c, layer, weights_of, relu=relu, details=details,
                               batch_size=batch_size)

    method.__name__ = method.__qualname__ = name
    method.__module__ = weights_of.__module__
    method.__doc__ = doc
    return method
