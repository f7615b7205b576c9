"""``numpycam check``: the grader of lessons/exercises/ says "not done", "pass" and "FAIL" when it
should, with the property that failed and a hint, and refuses a bad path in one line.
"""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from numpycam import check
from numpycam.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "lessons" / "exercises" / "exercises.py"
SOLUTIONS = ROOT / "lessons" / "exercises" / "solutions_from_library.py"

# A student's own answers, NumPy only: the grader must not depend on how the library computes.
HAND_WRITTEN = '''
import numpy as np

def relu_backward(dout, x):
    return dout * (x > 0)

def guided_relu_backward(dout, x):
    return dout * ((x > 0) & (dout > 0))

def gap_forward(f):
    return f.mean(axis=(2, 3))

def gap_backward(dF, f_shape):
    return np.ones(f_shape) * dF[:, :, None, None] / (f_shape[2] * f_shape[3])

def cam_sum(f, w):
    return np.einsum("nk,nkij->nij", w, f)

def grad_cam_weights(dS_df):
    return dS_df.sum(axis=(2, 3)) / (dS_df.shape[2] * dS_df.shape[3])

def windows(xp, HH, WW, stride, Ho, Wo):
    for i in range(Ho):
        for j in range(Wo):
            yield i, j, (slice(None), slice(None), slice(i * stride, i * stride + HH),
                         slice(j * stride, j * stride + WW))

def conv_forward(x, W, b, stride, pad):
    F, _, HH, WW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = (xp.shape[2] - HH) // stride + 1, (xp.shape[3] - WW) // stride + 1
    out = np.zeros((x.shape[0], F, Ho, Wo))
    for i, j, win in windows(xp, HH, WW, stride, Ho, Wo):
        out[:, :, i, j] = np.einsum("ncpq,fcpq->nf", xp[win], W) + b
    return out

def conv_backward(dout, x, W, stride, pad):
    F, _, HH, WW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dW = np.zeros_like(xp), np.zeros_like(W)
    for i, j, win in windows(xp, HH, WW, stride, dout.shape[2], dout.shape[3]):
        dW += np.einsum("nf,ncpq->fcpq", dout[:, :, i, j], xp[win])
        dxp[win] += np.einsum("nf,fcpq->ncpq", dout[:, :, i, j], W)
    H, Wd = x.shape[2:]
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, dout.sum(axis=(0, 2, 3))
'''


def statuses(results):
    return {r.exercise.name: r.status for r in results}


def write(tmp_path, text, name="student.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_untouched_exercises_are_all_not_done(capsys):
    assert main(["check", str(EXERCISES)]) == 1
    out = capsys.readouterr().out
    assert out.count("not done") == len(check.EXERCISES) + 1  # one per exercise + the summary
    assert f"0 of {len(check.EXERCISES)} exercises pass ({len(check.EXERCISES)} not done)." in out
    names = {"gap_forward", "gap_backward", "cam_sum", "grad_cam_weights", "relu_backward",
             "guided_relu_backward", "conv_backward"}  # the list, at least
    assert names <= set(check.NAMES)


def test_the_library_itself_passes_every_exercise(capsys):
    assert main(["check", str(SOLUTIONS)]) == 0
    out = capsys.readouterr().out
    assert f"{len(check.EXERCISES)} of {len(check.EXERCISES)} exercises pass." in out
    assert "FAIL" not in out and "not done" not in out


def test_a_hand_written_numpy_solution_passes(tmp_path):
    results = check.grade(check.load(write(tmp_path, HAND_WRITTEN)))
    assert set(statuses(results).values()) == {"pass"}, [r.detail for r in results]


@pytest.mark.parametrize("name, wrong, says", [
    ("gap_forward", "return f.sum(axis=(2, 3))", "Z = 20 times too large"),
    ("relu_backward", "return dout * (x >= 0)", "passed where x <= 0"),
    ("guided_relu_backward", "return dout * (x > 0)", "gradient <= 0 passed"),
    ("grad_cam_weights", "return dS_df[:, :, 0, 0]", "expected a = [3, -1], got [1, -4]"),
    ("conv_backward", "return np.zeros_like(x), np.zeros_like(W), np.zeros(len(W))",
     "expected db = 4, got 0"),
])
def test_one_wrong_exercise_fails_with_a_hint_and_the_others_pass(tmp_path, capsys, name, wrong,
                                                                   says):
    params = {"gap_forward": "f", "relu_backward": "dout, x", "guided_relu_backward": "dout, x",
              "grad_cam_weights": "dS_df", "conv_backward": "dout, x, W, stride, pad"}[name]
    text = SOLUTIONS.read_text() + f"\n\ndef {name}({params}):\n    {wrong}\n"
    path = write(tmp_path, text)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert says in " ".join(out.split())  # the report wraps long lines
    assert "hint:" in out and out.count("FAIL") == 1
    assert f"{len(check.EXERCISES) - 1} of {len(check.EXERCISES)} exercises pass (1 fail)." in out
    results = statuses(check.grade(check.load(path)))
    assert results.pop(name) == "FAIL" and set(results.values()) == {"pass"}


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
    assert main(["check", str(SOLUTIONS), "--only", "cam_sum", "gap_forward"]) == 0
    assert "2 of 2 exercises pass." in capsys.readouterr().out
    assert main(["check", str(SOLUTIONS), "--only", "gap"]) == 1
    assert "unknown exercise 'gap'" in capsys.readouterr().err


@pytest.mark.parametrize("text, says", [(None, "no such file"),
                                        ("def gap_forward(f)\n", "SyntaxError"),
                                        ("import not_a_module_at_all\n", "ModuleNotFoundError")])
def test_a_missing_or_broken_file_is_one_clean_line(tmp_path, capsys, text, says):
    path = tmp_path / "student.py" if text is None else write(tmp_path, text)
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and says in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_python_dash_m_numpycam_check_exits_non_zero_on_the_untouched_file():
    proc = subprocess.run([sys.executable, "-m", "numpycam", "check", str(EXERCISES)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "not done" in proc.stdout and proc.stderr == ""
