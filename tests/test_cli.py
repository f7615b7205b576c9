"""Every numeric option of every subcommand is checked by its argparse type: the same misuse
gets the same one-line usage error and exit code 2 everywhere, before the command runs."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from numpycam.cli import COMMANDS, build_parser, main
from numpycam.commands import fraction, non_negative_int, positive_float, positive_int

# (subcommand, option, kind); kind names the type function the option must use
NUMERIC = [
    ("demo", "--n", (1, 64, "")), ("demo", "--seed", "seed"),
    ("evaluate", "--n", (1, 20000, "")), ("evaluate", "--seed", "seed"),
    ("evaluate", "--size", (16, 512, " pixels")), ("evaluate", "--threshold", "fraction"),
    ("evaluate", "--faithfulness-n", (1, 20000, "")), ("evaluate", "--steps", (1, 1000, "")),
    ("evaluate", "--slow-n", (1, 20000, "")), ("evaluate", "--threads", (1, 256, "")),
    ("train", "--epochs", (1, 10000, "")), ("train", "--n", (1, 1_000_000, "")),
    ("train", "--jobs", (1, 64, "")),
    ("bench", "--batch", (1, 1024, "")), ("bench", "--size", (8, 512, " pixels")),
    ("bench", "--repeats", (1, 1000, "")), ("bench", "--matmul-size", (16, 8192, "")),
    ("bench", "--threads", (1, 256, "")), ("figures", "--evaluate-n", (1, 20000, "")),
    ("figures", "--threads", (1, 256, "")),
    ("info", "--size", (8, 512, " pixels")),
    ("check", "--seed", "seed"), ("check", "--timeout", "seconds"), ("check", "--memory", "seed"),
    ("check", "--jobs", (1, 64, "")), ("evaluate", "--val-n", "seed"), ("evaluate", "--val-seed", "seed"),
    ("explain", "--top", (1, 20, " classes")),
]
# bad text -> the error every option of that kind must give
BAD = {
    "positive": [("0", "must be >= 1, got 0"), ("-3", "must be >= 1, got -3"),
                 ("2.5", "expected a whole number >= 1, got '2.5'"),
                 ("abc", "expected a whole number >= 1, got 'abc'")],
    "seed": [("-1", "must be >= 0, got -1"), ("x", "expected a whole number >= 0, got 'x'")],
    "fraction": [("2", "must be in [0, 1], got 2"), ("-0.1", "must be in [0, 1], got -0.1"),
                 ("nan", "must be in [0, 1], got nan"), ("half", "expected a number in [0, 1], got 'half'")],
    "seconds": [("0", "must be a finite number > 0, got 0"), ("-2", "must be a finite number > 0, got -2"),
                ("inf", "must be a finite number > 0, got inf"), ("soon", "expected a number > 0, got 'soon'")],
}


def bad_values(kind):
    """The bad texts for an option and their messages; a range (low, high, unit) is named in
    each (issue 15: sizes that cost memory have an upper bound, checked up front)."""
    if not isinstance(kind, tuple):
        return BAD[kind]
    low, high, unit = kind
    return [(str(low - 1), f"must be in {low}..{high}{unit}, got {low - 1}"),
            (str(high + 1), f"must be in {low}..{high}{unit}, got {high + 1}"),
            ("99999999", f"must be in {low}..{high}{unit}, got 99999999"),
            ("2.5", f"expected a whole number in {low}..{high}, got '2.5'")]


CASES = [(cmd, opt, text, msg) for cmd, opt, kind in NUMERIC for text, msg in bad_values(kind)]


@pytest.mark.parametrize("command, option, text, message", CASES,
                         ids=[f"{c}{o}={t}" for c, o, t, _ in CASES])
def test_a_bad_number_is_a_usage_error_with_exit_code_2(command, option, text, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, f"{option}={text}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    last = err.strip().splitlines()[-1]
    assert last == f"numpycam {command}: error: argument {option}: {message}"


def test_every_numeric_option_is_in_the_table_above():
    # an option whose default is a number (or that takes numbers) must be listed in NUMERIC,
    # so a new option cannot skip the shared check
    listed = {(c, o) for c, o, _ in NUMERIC}
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    found = set()
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if (action.type in (int, float)
                    or action.type in (positive_int, non_negative_int, fraction, positive_float)
                    or getattr(action.type, "__name__", "").startswith("int in")):
                found.add((name, action.option_strings[-1]))
    assert found == listed
    assert not [(c, o) for c, o in found if "--" not in o]
    assert set(COMMANDS) >= {c for c, _ in listed}


@pytest.mark.parametrize("function, text, value", [
    (positive_int, "1", 1), (positive_int, " 7 ", 7), (non_negative_int, "0", 0),
    (fraction, "0", 0.0), (fraction, "1", 1.0), (fraction, "0.15", 0.15),
])
def test_good_numbers_pass_through(function, text, value):
    assert function(text) == value


def test_info_describes_the_shipped_models(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "gap:" in out and "fc:" in out and "60,772 parameters" in out  # the shipped gap model
    assert "relu4: ReLU()" in out and "(64, 16, 16)" in out  # the layer the README's example uses
    assert "test accuracy" in out


def test_evaluate_never_writes_into_the_committed_figures_by_default():
    args = build_parser().parse_args(["evaluate"])
    assert args.out.resolve() != (Path.cwd() / "figures").resolve()


# -- issue 15: no traceback for any command-line input --------------------------------------
def bad_invocations(tmp: Path) -> list[tuple[list[str], int]]:
    """(argv, exit code) for misuse of every subcommand: 2 for a bad option, an out-of-range
    value or a missing input, 1 for what fails at run time (a hostile weights file, a model
    that cannot take the size asked for)."""
    text = tmp / "text.npz"
    text.write_text("plain text, not a model\n")
    weights = tmp / "weights"
    weights.mkdir()
    for name in ("gap", "fc"):
        (weights / f"{name}.npz").write_bytes(b"PK\x03\x04" + bytes(100))  # a broken zip
    return [
        (["nosuch"], 2), (["info", "--bogus"], 2), (["info", "--size", "99999999"], 2),
        (["info", "--size", "2048"], 2), (["info", "--size", "9"], 1),
        (["bench", "--matmul-size", "100000"], 2), (["bench", "--batch", "0"], 2),
        (["demo", "--n", "100000"], 2), (["demo", "--seed", "-1"], 2),
        (["evaluate", "--weights", str(weights), "--n", "4", "--no-figures"], 1),
        (["evaluate", "--weights", str(tmp / "nodir"), "--n", "4"], 2),
        (["evaluate", "--threshold", "nan"], 2), (["evaluate", "--methods", "nosuch"], 2),
        (["train", "--n", "0"], 2), (["train", "--models", "nosuch"], 2),
        (["figures", "--threads", "100000"], 2),
        (["figures", "--lessons", str(tmp / "none"), "--out", str(tmp / "figs")], 2),
        (["check", str(tmp / "none.py")], 2), (["check", "--jobs", "1000"], 2),
        (["explain", str(tmp / "none.png")], 2), (["explain", str(text)], 2),
        (["explain", "chelsea", "--method", "nosuch"], 2), (["explain", "chelsea", "--top", "0"], 2),
        (["notebooks"], 2), (["notebooks", "--out", str(tmp / "nb"), "--lessons", str(tmp / "none")], 2),
        (["site"], 2), (["site", "--out", str(tmp / "site"), "--lessons", str(tmp / "none")], 2),
    ]


def test_the_bad_invocations_cover_every_subcommand(tmp_path):
    assert {argv[0] for argv, _ in bad_invocations(tmp_path)} >= set(COMMANDS)


def test_no_invocation_shows_a_traceback(tmp_path, capfd):
    # main() runs in this process (a traceback would be an exception escaping main); capfd,
    # since a command with --threads may run itself again in a child process
    for argv, code in bad_invocations(tmp_path):
        try:
            rc = main(argv)
        except SystemExit as stop:
            rc = stop.code
        err = capfd.readouterr().err
        assert "Traceback" not in err, (argv, err)
        assert rc == code, (argv, rc, err)
        last = err.strip().splitlines()[-1]
        assert last.startswith("numpycam") and ": error: " in last, (argv, last)


def test_the_real_command_line_shows_no_traceback(tmp_path):
    # two of the cases through a real process, so the interpreter's own printing is covered
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    for argv, code in [(["info", "--size", "99999999"], 2), (["evaluate", "--weights", str(tmp_path)], 2)]:
        run = subprocess.run([sys.executable, "-m", "numpycam", *argv], capture_output=True, text=True,
                             cwd=root, timeout=120)
        assert run.returncode == code and "Traceback" not in run.stderr, (argv, run.stderr)
        assert len(run.stderr.strip().splitlines()) <= 3, run.stderr  # usage lines + one error


def test_only_the_command_that_runs_is_imported():
    code = ("import sys\nfrom numpycam.cli import main\ntry:\n    main(['info', '--help'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('numpycam.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "['numpycam.commands.info']"
