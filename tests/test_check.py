"""``numpycam check``: the grader of lessons/exercises/ gives each check its points, names the
predictable mistakes, survives submissions that hang, exit, crash, print or allocate, refuses
files that import numpycam, and writes gradebooks a teacher can open.
"""

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
from classroom import CORRECT, GRADED, MISBEHAVING, MISTAKES, mistake, write_class

from numpycam.classroom import grader as check
from numpycam.classroom.grader.integrity import Unparsable, problems
from numpycam.classroom.grader.judge import rngs
from numpycam.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "lessons" / "exercises" / "exercises.py"
SOLUTIONS = ROOT / "lessons" / "exercises" / "solutions_from_library.py"
N = len(check.EXERCISES)


def module(text: str) -> ModuleType:
    """The source as a module, in this process (the harness is tested separately)."""
    mod = ModuleType("student")
    exec(compile(text, "student.py", "exec"), mod.__dict__)
    return mod


def by_name(results):
    return {r.name: r for r in results}


def test_untouched_exercises_are_all_not_done(capsys):
    assert main(["check", str(EXERCISES)]) == 1
    out = capsys.readouterr().out
    assert f"0 of {N} exercises pass ({N} not done)." in out
    names = {"gap_forward", "gap_backward", "cam_sum", "grad_cam_weights", "relu_backward",
             "guided_relu_backward", "conv_backward", "maxpool_backward", "softmax_cross_entropy",
             "upsample_bilinear", "guided_grad_cam", "box_from_map", "iou", "pointing_game",
             "grad_cam_map"}  # the list, at least
    assert names <= set(check.NAMES)


def test_every_exercise_has_points_and_a_lesson_that_exists():
    for ex in check.EXERCISES:
        assert ex.points > 0 and all(c.points > 0 for c in ex.checks)
        assert (ROOT / "lessons" / f"{ex.lesson}.py").is_file(), ex.lesson
        try_this = (ROOT / "lessons" / f"{ex.lesson}.py").read_text().split("**Try this:**")[-1]
        assert "exercises.py" in try_this and f"`{ex.name}`" in try_this, ex.name


def test_the_library_itself_passes_every_exercise_and_is_refused_without_reference(capsys):
    assert main(["check", str(SOLUTIONS), "--reference"]) == 0
    out = capsys.readouterr().out
    total = sum(ex.points for ex in check.EXERCISES)
    assert f"{total}/{total} points; {N} of {N} exercises pass." in out
    assert main(["check", str(SOLUTIONS)]) == 1
    assert f"({N} refused)" in capsys.readouterr().out


def test_a_hand_written_numpy_solution_passes_on_public_and_unseen_inputs():
    for seed in (0, 12345):
        results = check.grade(module(CORRECT), seed=seed)
        assert {r.status for r in results} == {"pass"}, [r.detail for r in results]


def test_a_teachers_seed_draws_other_inputs():
    public = [g.standard_normal(3) for g in rngs(0, 3)]
    assert all(np.array_equal(a, np.random.default_rng(i).standard_normal(3))
               for i, a in enumerate(public))
    unseen = [g.standard_normal(3) for g in rngs(7, 3)]
    assert not any(np.array_equal(a, b) for a, b in zip(public, unseen, strict=True))


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_typical_mistake_is_named_and_costs_only_its_exercise(name):
    exercise, _, says = MISTAKES[name]
    results = by_name(check.grade(module(mistake(name))))
    wrong = results.pop(exercise)
    assert wrong.status in ("FAIL", "partial") and wrong.score < wrong.max_score
    assert says in wrong.detail, wrong.detail
    assert {r.status for r in results.values()} == {"pass"}


@pytest.mark.parametrize("name, wrong, says", [
    ("relu_backward", "return dout * (x >= 0)", "passed where x <= 0"),
    ("guided_relu_backward", "return dout * (x > 0)", "gradient <= 0 passed"),
    ("grad_cam_weights", "return dS_df[:, :, 0, 0]", "expected a = [3, -1], got [1, -4]"),
    ("grad_cam_weights", "return dS_df.sum(axis=(2, 3))", "Z = 4 times too large"),
    ("conv_backward", "return np.zeros_like(x), np.zeros_like(W), np.zeros(len(W))",
     "expected db = 4, got 0"),
    ("conv_forward", "return _right_conv(x, W, b * 0, stride, pad)", "the bias b is missing"),
    ("softmax_cross_entropy", "l, d = _right_xent(S, y)\n    return l * len(y), d * len(y)",
     "N = 2 times too large"),
    ("upsample_bilinear", "return _right_up(maps, H, W, 0)", "corner-aligned"),
    ("box_from_map", "ys, xs = np.nonzero(m > threshold * m.max())\n"
                     "    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])",
     "not >"),
    ("iou", "return (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))"
            " / 7", "clip the overlap"),
    ("pointing_game", "y, x = np.unravel_index(np.argmax(m), m.shape)\n"
                      "    return bool(box[0] <= y < box[2] and box[1] <= x < box[3])",
     "x is the column"),
    ("maxpool_backward", "return _right_pool_back(dout, x, size, stride) * 0 + "
                         "_all_ties(dout, x, size, stride)", "every tied maximum"),
])
def test_more_predictable_mistakes_are_named(name, wrong, says):
    helpers = '''
_right_conv, _right_pool_back, _right_xent = conv_forward, maxpool_backward, softmax_cross_entropy


def _right_up(maps, H, W, corners):
    def src(n_in, n_out):
        s = np.linspace(0, n_in - 1, n_out)
        lo = np.floor(s).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), s - lo
    y0, y1, ty = src(maps.shape[1], H)
    x0, x1, tx = src(maps.shape[2], W)
    rows = maps[:, y0] * (1 - ty)[None, :, None] + maps[:, y1] * ty[None, :, None]
    return rows[:, :, x0] * (1 - tx) + rows[:, :, x1] * tx


def _all_ties(dout, x, size, stride):
    dx = np.zeros_like(x)
    for i, j, win in windows(dout.shape[2], dout.shape[3], stride, size, size):
        top = x[win].max(axis=(2, 3), keepdims=True)
        dx[win] += (x[win] == top) * dout[:, :, i:i + 1, j:j + 1]
    return dx
'''
    params = check.BY_NAME[name].signature.split("(", 1)[1].split(")")[0]
    text = CORRECT + helpers + f"\n\ndef {name}({params}):\n    {wrong}\n"
    r = by_name(check.grade(module(text), only=[name]))[name]
    assert r.status in ("FAIL", "partial") and says in r.detail, r.detail


def test_partial_credit_counts_every_check_that_holds():
    def right_on_the_hand_case_only(f):  # the hand case has N = 2, K = 3
        out = f.mean(axis=(2, 3))
        return out if f.shape[:2] == (2, 3) else out + 1

    (r,) = check.grade(SimpleNamespace(gap_forward=right_on_the_hand_case_only),
                       only=["gap_forward"])
    assert (r.status, r.score, r.max_score) == ("partial", 1, 2)
    assert r.failed_check.startswith("= library")


def one(fn):
    """Grade gap_forward = fn alone."""
    (result,) = check.grade(SimpleNamespace(gap_forward=fn), only=["gap_forward"])
    return result


def test_errors_in_place_changes_and_missing_returns_are_named():
    def crashes(f):
        return f @ f

    def in_place(f):
        f /= 2
        return f.mean(axis=(2, 3)) * 2

    r = one(crashes)
    assert r.status == "FAIL" and "raised ValueError" in r.detail and "return f @ f" in r.detail
    assert "changed in place" in one(in_place).detail
    assert "`return` missing" in one(lambda f: None).detail
    assert "shape (2, 3, 4), expected (2, 3)" in one(lambda f: f.mean(axis=3)).detail
    assert "float32" in one(lambda f: f.mean(axis=(2, 3)).astype(np.float32)).detail
    assert one(lambda f: np.mean(f, axis=(3, 2))).status == "pass"
    (r,) = check.grade(SimpleNamespace(), only=["cam_sum"])
    assert r.status == "missing"


def test_only_grades_the_named_exercises_and_rejects_unknown_names(capsys):
    assert main(["check", str(SOLUTIONS), "--reference", "--only", "cam_sum",
                 "gap_forward"]) == 0
    assert "2 of 2 exercises pass." in capsys.readouterr().out
    assert main(["check", str(SOLUTIONS), "--only", "gap"]) == 2
    assert "unknown exercise 'gap'" in capsys.readouterr().err


@pytest.mark.parametrize("source, found", [
    ("import numpycam\n", "imports numpycam"),
    ("from numpycam.ops import pool\n", "imports numpycam.ops"),
    ("import sys\nsys.modules['numpycam.classroom.grader.judge'].agree = print\n", "uses .modules"),
    ("g = __import__('numpycam')\n", "uses __import__"),
    ("import importlib\n", "imports importlib"),
    ("def f(x):\n    return f.__globals__\n", "uses .__globals__"),
])
def test_the_integrity_check_finds_a_reach_for_the_library_or_the_grader(source, found):
    assert any(found in p for p in problems(source))


def test_the_integrity_check_lets_honest_files_through():
    assert problems(EXERCISES.read_text()) == []  # its docstring says "numpycam check ..."
    assert problems(CORRECT) == []
    with pytest.raises(Unparsable, match="line 3"):
        problems(MISBEHAVING["syntax_error"])


def test_a_missing_path_is_one_clean_line(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nobody.py")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no such file" in captured.err
    assert captured.err.count("\n") == 1
    assert main(["check", str(tmp_path)]) == 2
    assert "no .py files" in capsys.readouterr().err


def expected_row(name):
    """What the gradebook must say for each crafted submission: {exercise: status}."""
    if name in MISTAKES:
        return {MISTAKES[name][0]: ("FAIL", "partial")}
    return {
        "correct": {}, "prints_a_megabyte": {}, "endless_loop": {"gap_forward": ("timeout",)},
        "exit_in_exercise": {"conv_forward": ("sys.exit",)},
        "os_exit": {"dense_backward": ("os._exit",)},
        "segfault": {"grad_cam_map": ("crashed",)},
        "allocates_10_gb": {"gap_forward": ("out of memory",)},
        "exit_at_import": dict.fromkeys(GRADED, ("sys.exit",)),
        "syntax_error": dict.fromkeys(GRADED, ("error",)),
        "imports_numpycam": dict.fromkeys(GRADED, ("refused",)),
    }[name]


def test_a_class_folder_is_graded_row_by_row_in_bounded_time(tmp_path, capsys):
    folder = write_class(tmp_path / "class")
    files = sorted(folder.glob("*.py"))
    book, table = tmp_path / "book.json", tmp_path / "book.csv"
    start = time.monotonic()
    code = main(["check", str(folder), "--only", *GRADED, "--timeout", "2", "--jobs", "2",
                 "--json", str(book), "--csv", str(table)])
    elapsed = time.monotonic() - start
    out = capsys.readouterr().out
    assert code == 1
    assert len(out.splitlines()) == len(files)  # one line per submission, no student output
    assert "xxxxxxxx" not in out
    assert elapsed < 20 * len(files), elapsed  # each file costs a child process, not a hang
    subs = {Path(s["path"]).stem: s for s in json.loads(book.read_text())["submissions"]}
    assert set(subs) == {f.stem for f in files}
    for name, sub in subs.items():
        want = expected_row(name)
        for ex, got in sub["exercises"].items():
            if ex in want:
                assert got["status"] in want[ex], (name, ex, got)
                assert got["score"] < got["max_score"] and got["message"], (name, ex, got)
            else:
                assert (got["status"], got["score"]) == ("pass", got["max_score"]), (name, ex)
    assert "did not finish within 2 s" in subs["endless_loop"]["exercises"]["gap_forward"][
        "message"]
    assert "segmentation fault" in subs["segfault"]["exercises"]["grad_cam_map"]["message"]
    assert "the kernel looks flipped" in subs["flipped_kernel"]["exercises"]["conv_forward"][
        "message"]
    rows = {Path(r["submission"]).stem: r for r in csv.DictReader(table.open())}
    for name, sub in subs.items():
        assert int(rows[name]["total"]) == sub["score"]
        assert [int(rows[name][ex]) for ex in GRADED] == [sub["exercises"][ex]["score"]
                                                          for ex in GRADED]
    assert rows["correct"]["total"] == rows["correct"]["max"]


def test_exit_code_0_only_when_everything_passed_and_gradescope_output(tmp_path, capsys):
    good, printer = tmp_path / "good.py", tmp_path / "printer.py"
    good.write_text(CORRECT)
    printer.write_text(MISBEHAVING["prints_a_megabyte"])
    results = tmp_path / "results.json"
    only = ["--only", "gap_forward", "cam_sum", "--timeout", "20"]
    assert main(["check", str(good), *only, "--gradescope", str(results)]) == 0
    scope = json.loads(results.read_text())
    assert scope["score"] == 5 and [t["max_score"] for t in scope["tests"]] == [2, 3]
    assert {"name", "score", "max_score", "output"} <= set(scope["tests"][0])
    capsys.readouterr()
    assert main(["check", str(printer), *only, "--show-output"]) == 0
    out = capsys.readouterr().out
    assert "x" * 1000 in out and "more characters not shown" in out and len(out) < 10_000
    mixed = main(["check", str(good), str(tmp_path / "printer.py"), *only, "--gradescope",
                  str(results)])
    assert mixed == 2 and "one submission" in capsys.readouterr().err


def test_python_dash_m_numpycam_check_exits_non_zero_on_the_untouched_file():
    proc = subprocess.run([sys.executable, "-m", "numpycam", "check", str(EXERCISES), "--only",
                           "gap_forward"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "not done" in proc.stdout and proc.stderr == ""


def test_a_child_that_dies_is_described_by_its_exit():
    from numpycam.classroom.grader.harness import died

    assert died(0, 16) == ("os._exit", "ended the grading process with exit code 0 (os._exit or "
                                       "a crash in compiled code)")
    assert "segmentation fault" in died(-11, 16)[1]
    assert "too much memory" in died(-9, 16)[1]
    assert "more than 16 MB" in died(-signal.SIGXFSZ, 16)[1]


def test_a_file_that_hangs_while_imported_times_out_every_exercise(tmp_path):
    path = tmp_path / "hangs.py"
    path.write_text("while True:\n    pass\n")
    start = time.monotonic()
    sub = check.grade_file(path, check.select(["gap_forward", "cam_sum"]), timeout=1)
    assert time.monotonic() - start < 30
    assert [(r.status, r.score) for r in sub.results] == [("timeout", 0), ("timeout", 0)]
    assert "while being imported" in sub.results[0].detail


def test_a_gradebook_never_overwrites_a_submission_nor_is_lost_at_the_end(tmp_path, capsys):
    sub = tmp_path / "sub.py"
    shutil.copy(EXERCISES, sub)
    before = sub.read_bytes()
    assert main(["check", str(sub), "--csv", str(sub)]) == 2
    assert sub.read_bytes() == before and "one of the files to grade" in capsys.readouterr().err
    for bad in (tmp_path / "nodir" / "g.csv", ROOT / "lessons" / "g.csv"):
        with pytest.raises(SystemExit) as stop:  # a usage error, before any grading
            main(["check", str(sub), "--csv", str(bad)])
        assert stop.value.code == 2 and not bad.exists()
    assert "does not exist" in capsys.readouterr().err
