"""What a numpycam model file is, and the rules it must meet, shared by save and load.

A model file is one ``.npz`` (a zip of ``.npy`` arrays): a JSON header, as one unicode string
under :data:`HEADER`, naming the format (:data:`FORMAT`, :data:`VERSION`) and every layer with
its config, plus one array per parameter and buffer, keyed by its path (``block3/expand_conv/W``).
Nothing is pickled. :func:`numpycam.files.save.save` and :func:`numpycam.files.load.load` call
the same two checks, so ``save`` refuses exactly what ``load`` would refuse, before it touches
the old file:

    plan = check_header(header, max_params)   # {key: shape} from the JSON header alone
    check_array(key, shape, dtype, plan)       # one array's declared shape and dtype

``check_header`` looks only at the header (types, counts, nesting depth, names, the total
parameter count against ``max_params``), and computes every array's shape from the layer
configs (``Layer.param_shapes``) without building a layer. A hostile file therefore cannot make
``load`` allocate more than the cap before it is refused. Every refusal is a ValueError.
"""

from __future__ import annotations

import math

import numpy as np

from numpycam.nn.layer import LAYER_TYPES
from numpycam.validate import check_layer_name

FORMAT = "numpycam-model"  # the header's "format"
VERSION = 1  # the header's "version"; load reads every version up to this one
HEADER = "__numpycam__"  # the name of the header's array in the archive
MAX_PARAMS = 50_000_000  # numbers in one file (200 MB as float32); pass max_params to go higher
MAX_LAYERS = 20_000  # layers, nested ones included
MAX_DEPTH = 16  # blocks inside blocks
MAX_HEADER_CHARS = 10_000_000
JSON_SCALARS = (str, int, float, bool, type(None))


def _walk_specs(specs, prefix: str, depth: int, plan: dict, counter: list[int]) -> None:
    if not isinstance(specs, list) or not specs:
        raise ValueError(f"'layers'{' of ' + prefix[:-1] if prefix else ''} must be a non-empty "
                         f"list of layer descriptions, got {type(specs).__name__}")
    if depth > MAX_DEPTH:
        raise ValueError(f"blocks are nested more than {MAX_DEPTH} deep (at {prefix[:-1]!r})")
    names: set[str] = set()
    for spec in specs:
        counter[0] += 1
        if counter[0] > MAX_LAYERS:
            raise ValueError(f"it describes more than {MAX_LAYERS} layers")
        if not isinstance(spec, dict):
            raise ValueError(f"a layer description must be a JSON object, got {type(spec).__name__}")
        name, kind, config = spec.get("name"), spec.get("type"), spec.get("config", {})
        try:
            check_layer_name(name)
        except TypeError as err:
            raise ValueError(str(err)) from None
        if name in names:
            raise ValueError(f"layer name {prefix + name!r} appears twice; names must be unique")
        names.add(name)
        if not isinstance(kind, str) or kind not in LAYER_TYPES:
            raise ValueError(f"unknown layer type {kind!r} (layer {prefix + name!r}); known "
                             f"types: {sorted(LAYER_TYPES)}")
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            raise ValueError(f"layer {prefix + name!r} has a config that is not a JSON object")
        cls = LAYER_TYPES[kind]
        if cls.holds_layers:
            if set(config) != {"layers"}:
                raise ValueError(f"block {prefix + name!r} needs a config with only 'layers'")
            _walk_specs(config["layers"], f"{prefix}{name}/", depth + 1, plan, counter)
            continue
        for key, value in config.items():
            items = value if isinstance(value, list) and len(value) <= 8 else [value]
            if not all(isinstance(v, JSON_SCALARS) for v in items):
                raise ValueError(f"layer {prefix + name!r}: config {key!r} = {value!r} is not "
                                 "a number, string or short list")
        try:
            shapes = cls.param_shapes(config)
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(f"layer {prefix + name!r} has a bad config ({err!r})") from None
        for p, shape in shapes.items():
            plan[f"{prefix}{name}/{p}"] = shape


def check_header(header, max_params: int | None = MAX_PARAMS) -> dict[str, tuple[int, ...]]:
    """Check the ``layers`` list of a parsed header; {state key: shape} of every array it needs.

    Raises ValueError for a wrong type anywhere, more than MAX_LAYERS layers, blocks nested
    deeper than MAX_DEPTH, a bad or repeated name, an unknown layer type, or more than
    ``max_params`` numbers in total (None: no cap). Linear in the size of the header.
    """
    if not isinstance(header, dict):
        raise ValueError("its header is not a JSON object")
    plan: dict[str, tuple[int, ...]] = {}
    _walk_specs(header.get("layers"), "", 0, plan, [0])
    total = sum(math.prod(shape) for shape in plan.values())
    if max_params is not None and total > max_params:
        raise ValueError(f"it declares {total:,} parameters, more than the cap of {max_params:,}; "
                         "if you trust this file, pass max_params=<a larger number>")
    return plan


def check_array(key: str, shape, dtype, plan: dict) -> None:
    """One array's declared shape and dtype against the plan: finite-size float32/float64,
    little-endian (the byte order NumPy writes on every common machine)."""
    dtype = np.dtype(dtype)
    if key not in plan:
        raise ValueError(f"it holds an array {key!r} that its layers do not have")
    if dtype not in (np.dtype("<f4"), np.dtype("<f8")):
        raise ValueError(f"{key} is {dtype.str} ({dtype}); only little-endian float32/float64 "
                         "weights are stored; convert with model.astype(np.float32)")
    if tuple(shape) != tuple(plan[key]):
        raise ValueError(f"{key} has shape {tuple(shape)}, expected {tuple(plan[key])} (what "
                         "its layer's config needs); a weight must keep its layer's shape")
