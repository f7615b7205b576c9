"""Every numeric option of every subcommand is checked by its argparse type: the same misuse
gets the same one-line usage error and exit code 2 everywhere, before the command runs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from numpycam.cli import COMMANDS, build_parser, main
from numpycam.commands import fraction, non_negative_int, positive_float, positive_int

# (subcommand, option, kind); kind names the type function the option must use
NUMERIC = [
    ("demo", "--n", "positive"), ("demo", "--seed", "seed"),
    ("evaluate", "--n", "positive"), ("evaluate", "--seed", "seed"),
    ("evaluate", "--size", "positive"), ("evaluate", "--threshold", "fraction"),
    ("evaluate", "--faithfulness-n", "positive"), ("evaluate", "--steps", "positive"),
    ("evaluate", "--slow-n", "positive"), ("evaluate", "--threads", "positive"),
    ("train", "--epochs", "positive"), ("train", "--n", "positive"), ("train", "--jobs", "positive"),
    ("bench", "--batch", "positive"), ("bench", "--size", "positive"),
    ("bench", "--repeats", "positive"), ("bench", "--matmul-size", "positive"),
    ("bench", "--threads", "positive"), ("figures", "--evaluate-n", "positive"),
    ("figures", "--threads", "positive"),
    ("info", "--size", "positive"), ("evaluate", "--val-n", "seed"), ("evaluate", "--val-seed", "seed"),
    ("check", "--seed", "seed"), ("check", "--timeout", "seconds"), ("check", "--memory", "seed"),
    ("check", "--jobs", "positive"), ("explain", "--top", "positive"),
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
CASES = [(cmd, opt, text, msg) for cmd, opt, kind in NUMERIC for text, msg in BAD[kind]]


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
            if action.type in (int, float) or action.type in (positive_int, non_negative_int, fraction, positive_float):
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
