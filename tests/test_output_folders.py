"""Issue 26: a command writes only inside its --out folder and never deletes what it did not create.

Every command with an --out folder refuses the filesystem root, the home folder, the repository
and its source folders, and a file, before anything runs (exit 2); a read-only folder or a
symbolic link leading out fails at once with one line (exit 1). The site keeps what it did not
write, names what it replaces, refuses a figure name that would leave its folder, and escapes
the names it puts into HTML. The site cases use a one-lesson fake checkout and a notebook built
here (no kernel runs) and need the docs extra, skipping cleanly without it.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from numpycam.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")
OUT_COMMANDS = ["demo", "evaluate", "figures", "notebooks", "site", "train"]
LESSON = '''\
# %% [markdown]
# # A tiny lesson
#
# Post section: Testing, in "CNN visualisation"

# %%
from pathlib import Path
Path({marker!r}).write_text("the lesson ran")
'''


def checkout(base: Path, figure: str = "01_tiny.png", marker: Path | None = None) -> dict:
    """A one-lesson checkout (lessons/, figures/ with a demo PNG) and its executed notebook."""
    lessons = base / "lessons"
    (lessons / "exercises").mkdir(parents=True)
    (lessons / "01_tiny.py").write_text(LESSON.format(marker=str(marker or base / "ran.txt")))
    (lessons / "exercises" / "README.md").write_text("# Exercises\n")
    (lessons / "exercises" / "exercises.py").write_text("# the student file\n")
    (base / "figures").mkdir()
    (base / "figures" / "demo_gallery.png").write_bytes(PNG)
    paths = {"lessons": lessons, "figures": base / "figures"}
    try:
        import nbformat
    except ImportError:
        return paths
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A tiny lesson\n\nPost section: Testing, in \"CNN visualisation\""),
        nbformat.v4.new_code_cell("show()", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(PNG).decode()},
            metadata={"numpycam_figure": figure})])])
    (base / "nbs").mkdir()
    nbformat.write(nb, base / "nbs" / "01_tiny.ipynb")
    paths["notebooks"] = base / "nbs"
    return paths


@pytest.fixture
def docs():
    for name in ("nbformat", "nbconvert", "mistune", "jupyter_server_mathjax"):
        pytest.importorskip(name, reason='the site needs the docs extra: pip install ".[docs]"')


def site(paths: dict, out: Path) -> int:
    return main(["site", "--out", str(out), "--lessons", str(paths["lessons"]),
                 "--notebooks", str(paths["notebooks"])])


# -- refused before anything runs: usage error, exit 2 -----------------------------------------
PLACES = {"root": lambda t: "/", "home": lambda t: str(t / "home"), "checkout": lambda t: str(ROOT),
          "package": lambda t: str(ROOT / "numpycam"), "inside the package": lambda t: str(ROOT / "numpycam" / "x"),
          "lessons": lambda t: str(ROOT / "lessons"), "tests": lambda t: str(ROOT / "tests" / "out"),
          "a file": lambda t: str(ROOT / "README.md"), "under a file": lambda t: str(ROOT / "README.md" / "x"),
          "empty": lambda t: "", "a link to the root": lambda t: (t / "l").symlink_to("/") or str(t / "l"),
          "a name too long": lambda t: str(t / ("x" * 300)), "tilde": lambda t: "~"}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("command", OUT_COMMANDS)
def test_an_out_folder_that_must_not_be_written_is_refused_before_anything_runs(
        command, place, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([command, "--out", PLACES[place](tmp_path)])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2
    assert last.startswith(f"numpycam {command}: error: argument --out: "), last
    assert "choose" in last, last


# -- the site -----------------------------------------------------------------------------------
def test_the_site_keeps_what_it_did_not_write(docs, tmp_path):
    paths = checkout(tmp_path)
    out = tmp_path / "site"
    (out / "_work").mkdir(parents=True)
    (out / "_work" / "notes.txt").write_text("mine")
    (out / "mine.txt").write_text("mine too")
    assert site(paths, out) == 0
    assert (out / "_work" / "notes.txt").read_text() == "mine"
    assert (out / "mine.txt").read_text() == "mine too"
    assert (out / "index.html").is_file() and (out / "figures" / "01_tiny.png").read_bytes() == PNG


def test_the_site_names_the_files_it_replaces(docs, tmp_path, capsys):
    paths = checkout(tmp_path)
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("my own index")
    (out / "exercises.py").write_text("my own answers")
    assert site(paths, out) == 0
    said = capsys.readouterr()
    line = next(x for x in (said.out + said.err).splitlines() if "replacing" in x)
    assert "index.html" in line and "exercises.py" in line and "01_tiny.html" not in line


@pytest.mark.parametrize("name", ["../../../x.png", "ABSOLUTE", "sub/x.png", "x.html", ".x.png", "..png/..",
                                  "a\\..\\x.png", 7])
def test_a_figure_name_from_a_notebook_cannot_leave_the_site_or_be_a_page(docs, tmp_path, capsys, name):
    if name == "ABSOLUTE":
        name = str(tmp_path / "absolute.png")
    paths = checkout(tmp_path, figure=name)
    out = tmp_path / "a" / "b" / "site"
    assert site(paths, out) == 1
    assert "not a plain file name ending in .png" in capsys.readouterr().err
    inputs = [tmp_path / "lessons", tmp_path / "nbs", tmp_path / "figures"]
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")
                     if p.is_file() and not any(p.is_relative_to(i) for i in inputs))
    assert written == [], written  # nothing anywhere, in the site or outside it
    assert not (tmp_path / "a" / "x.png").exists() and not (tmp_path / "absolute.png").exists()


def test_the_index_escapes_the_figure_names_it_shows(docs, tmp_path):
    paths = checkout(tmp_path)
    evil = 'demo_"><img src=x onerror=alert(1)>.png'
    (paths["figures"] / evil).write_bytes(PNG)
    out = tmp_path / "site"
    assert site(paths, out) == 0
    index = (out / "index.html").read_text()
    assert "<img src=x onerror" not in index and '"><img' not in index
    assert "&lt;img src=x onerror=alert(1)&gt;" in index  # the caption shows the name as text
    assert (out / "figures" / evil).read_bytes() == PNG


def test_a_symbolic_link_in_the_site_folder_does_not_lead_writes_outside(docs, tmp_path, capsys):
    from numpycam.classroom.site import build_site

    paths = checkout(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "page.html").write_text("keep me")
    out = tmp_path / "site"
    out.mkdir()
    (out / "figures").symlink_to(elsewhere)
    assert site(paths, out) == 1
    assert "symbolic link" in capsys.readouterr().err
    (out / "figures").unlink()
    (out / "index.html").symlink_to(elsewhere / "page.html")  # the library call checks too
    with pytest.raises(ValueError, match="leads outside"):
        build_site(out, lessons=paths["lessons"], notebooks=paths["notebooks"],
                   figures_src=paths["figures"], say=lambda s: None)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["page.html"]
    assert (elsewhere / "page.html").read_text() == "keep me"


@pytest.mark.parametrize("name, make", [("mathjax", Path.write_text), ("index.html", Path.mkdir)],
                         ids=["mathjax is a file", "index.html is a folder"])
def test_something_in_the_way_is_said_before_the_site_writes_anything(docs, tmp_path, capsys, name, make):
    paths = checkout(tmp_path)
    out = tmp_path / "site"
    out.mkdir()
    make(out / name, *(["a file of mine"] if make is Path.write_text else []))
    assert site(paths, out) == 1
    assert "is in the way" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [name]


# -- the other commands -------------------------------------------------------------------------
def test_demo_does_not_write_through_a_link_that_leads_outside(tmp_path, capsys):
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"keep me")
    out = tmp_path / "demo"
    out.mkdir()
    (out / "demo_gallery.png").symlink_to(outside)
    assert main(["demo", "--out", str(out), "--n", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "symbolic link" in err[0], err
    assert outside.read_bytes() == b"keep me"


def test_notebooks_refuse_a_figures_folder_that_leads_outside_before_running_a_lesson(docs, tmp_path, capsys):
    paths = checkout(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "nbs-out"
    out.mkdir()
    (out / "figures").symlink_to(elsewhere)
    assert main(["notebooks", "--out", str(out), "--lessons", str(paths["lessons"])]) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert not (tmp_path / "ran.txt").exists() and not list(elsewhere.iterdir())


def read_only(folder: Path, argv: list[str]) -> list[str]:
    """``argv`` run with ``folder`` read-only: by its mode, or (root writes anywhere) through a
    read-only bind mount in a mount namespace of its own; skips where neither is possible."""
    if os.geteuid() != 0:
        for sub in (folder, *(p for p in folder.rglob("*") if p.is_dir())):
            sub.chmod(0o555)
        return argv
    mount = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && '
    probe = subprocess.run(["unshare", "-m", "sh", "-c", mount + '! touch "$0/probe" 2>/dev/null', str(folder)],
                           capture_output=True, timeout=30) if shutil.which("unshare") else None
    if probe is None or probe.returncode:
        pytest.skip("running as root without a way to make a folder read-only (unshare -m, mount)")
    return ["unshare", "-m", "sh", "-c", mount + 'exec "$@"', str(folder), *argv]


def test_figures_in_a_read_only_checkout_fails_at_once_with_one_line(tmp_path):
    base = tmp_path / "checkout"
    base.mkdir()
    checkout(base, marker=tmp_path / "ran.txt")
    argv = read_only(base, [sys.executable, "-m", "numpycam", "figures"])
    try:
        run = subprocess.run(argv, cwd=base, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
    finally:
        for sub in (base, *(p for p in base.rglob("*") if p.is_dir())):
            sub.chmod(0o755)
    err = run.stderr.strip().splitlines()
    assert run.returncode in (1, 2), (run.returncode, run.stdout, run.stderr)
    assert len(err) == 1 and "not writable" in err[0], run.stderr
    assert not (tmp_path / "ran.txt").exists()  # no lesson ran


def test_the_shared_check_is_a_plain_function_for_any_command(tmp_path):
    from numpycam.commands.output import prepare_output

    said = []
    out = tmp_path / "new" / "deeper"
    assert prepare_output(out, command="explain", say=said.append) == out and out.is_dir() and not said
    (out / "a.png").write_bytes(PNG)
    prepare_output(out, command="explain", names=["a.png", "b.png"], say=said.append)
    assert said == [f"numpycam explain: replacing 1 files in {out}: a.png"]
    with pytest.raises(ValueError, match="is a file"):
        prepare_output(out / "a.png" / "x", command="explain")
    assert textwrap.dedent(prepare_output.__doc__ or "").strip()


def test_evaluate_names_the_figures_it_replaces_and_keeps_the_rest(tmp_path, capsys):
    out = tmp_path / "figs"
    out.mkdir()
    (out / "evaluate_box_acc.png").write_bytes(b"an earlier run")
    (out / "notes.txt").write_text("mine")
    argv = ["evaluate", "--quick", "--methods", "cam", "--models", "gap", "--val-n", "0", "--out", str(out)]
    assert main(argv) == 0
    said = [x for x in capsys.readouterr().err.splitlines() if "replacing" in x]
    assert said == [f"numpycam evaluate: replacing 1 files in {out.resolve()}: evaluate_box_acc.png"]
    assert (out / "notes.txt").read_text() == "mine"
