"""What every member of the family shares; a method file adds only its weight rule.

    f        the output of ``layer`` (N, K, h, w), by default the last 4-D map (the one fed to
             GAP or Flatten)
    g        dS^c/df (N, K, h, w), S^c the raw score (logit) of class c, one backward pass
    weights  (N, K) or per position (N, K, h, w): the method
    map      sum_k weight_k f_k, then ReLU if the method (or ``relu=``) asks for it. (N, h, w).
"""

from numpycam.classmaps import finish, gradient_method

__all__ = ["finish", "gradient_method"]
