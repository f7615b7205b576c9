"""The course as a static website: ``numpycam site --out DIR`` writes ``DIR/index.html`` and the rest.

One flat folder, every link relative, nothing fetched from another host:

    index.html           the lesson table and the demo gallery
    NN_name.html         one page per lesson: prose, equations, code, printed output, figures,
                         links to the previous and next lesson and to the exercises
    exercises.html       lessons/exercises/README.md
    figures/*.png        the figures the lessons showed, and the demo's
    mathjax/             MathJax 2 from the jupyter-server-mathjax package (Apache-2.0, its
                         LICENSE copied along), which typesets the LaTeX in the browser

Each lesson page is the executed notebook (:mod:`numpycam.classroom.notebooks`) converted by nbconvert's
``lab`` template, with its CDN scripts (require.js, mermaid) removed and MathJax pointed at the
local copy. The lessons are found by listing ``lessons/NN_*.py``. The site writes only the files
above, only inside ``DIR``, names the files of an earlier build it replaces, and deletes nothing.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from numpycam.classroom.notebooks import (
    INSTALL_HINT,
    execute_lesson,
    figure_outputs,
    figure_pngs,
    lesson_scripts,
    notebook_tools,
    select,
)

# jupyter-server-mathjax ships the STIX-Web fonts only (not MathJax's TeX fonts): the page's
# configuration asks HTML-CSS for those, so no font file is requested that is not there
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
NAV = ('<nav class="nc-nav">{prev} · <a href="index.html">all lessons</a> · '
       '<a href="exercises.html">exercises</a> · {next}</nav>')
LESSON_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null},
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  messageStyle: "none"
});
</script>
<script src="{{ resources.mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}
{%- block extra_css -%}<style>{{ resources.nc_css }}</style>{%- endblock extra_css -%}
{%- block body_header -%}{{ super() }}{{ resources.nc_nav }}{%- endblock body_header -%}
{%- block body_footer -%}{{ resources.nc_nav }}{{ super() }}{%- endblock body_footer -%}
{%- block data_png scoped -%}
{%- if 'numpycam_figure' in output.metadata -%}
<div class="jp-RenderedImage jp-OutputArea-output">
{%- set name = output.metadata.numpycam_figure -%}
<img src="figures/{{ name | urlencode | escape_html }}" alt="figure {{ name | escape_html }}"></div>
{%- else -%}{{ super() }}{%- endif -%}
{%- endblock data_png -%}
"""
CSS = """
body { max-width: 980px; margin: 0 auto; padding: 0 1em; font-family: sans-serif; line-height: 1.5; }
.nc-nav { margin: 1em 0; padding: 0.5em; background: #f3f3f3; }
table.nc { border-collapse: collapse; } table.nc td, table.nc th { border: 1px solid #ccc; padding: 4px 8px; }
img { max-width: 100%; }
"""
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{css}</style></head>
<body><nav class="nc-nav"><a href="index.html">all lessons</a> · <a href="exercises.html">exercises</a></nav>
{body}
</body></html>
"""


def _mathjax_source() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise ImportError(f"{err}; MathJax ships with jupyter-server-mathjax; {INSTALL_HINT}") from err
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def lesson_info(nb, stem: str) -> dict:
    """Number, title and post section of a lesson, read from its first markdown cell."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = re.search(r"^#\s+(.+)$", first, re.M)
    section = re.search(r'Post sections?:\s*(.+?),?\s+in\s+"CNN', first, re.S)
    return {"stem": stem, "number": int(stem[:2]), "page": f"{stem}.html",
            "title": title.group(1).strip() if title else stem,
            "section": " ".join(section.group(1).replace("**", "").split()) if section else "",
            "figures": figure_outputs(nb)}


def _inside(out: Path, name: str) -> Path:
    """``out / name``, refused (ValueError) if it leads outside ``out`` through a symbolic link."""
    path = out / name
    try:
        inside = path.resolve().is_relative_to(out.resolve())
    except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
        raise ValueError(f"{path} is a loop of symbolic links; remove it") from None
    if not inside:
        raise ValueError(f"{path} leads outside {out} (a symbolic link to {path.resolve()}); "
                         "the site writes only inside its folder: remove the link")
    folder = name in ("figures", "mathjax")
    if path.exists() and path.is_dir() != folder:
        raise ValueError(f"{path} is in the way: the site writes a {'folder' if folder else 'file'} "
                         "there; move it or choose another --out")
    return path


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", template_file="numpycam_lesson.html.j2",
                        extra_loaders=[DictLoader({"numpycam_lesson.html.j2": LESSON_TEMPLATE})],
                        mathjax_url=MATHJAX_URL, exclude_anchor_links=True)


def _nav(infos: list[dict], i: int) -> str:
    prev = (f'<a rel="prev" href="{_href(infos[i - 1]["page"])}">← {html.escape(infos[i - 1]["title"])}</a>'
            if i > 0 else "first lesson")
    nxt = (f'<a rel="next" href="{_href(infos[i + 1]["page"])}">{html.escape(infos[i + 1]["title"])} →</a>'
           if i + 1 < len(infos) else "last lesson")
    return NAV.format(prev=prev, next=nxt)


def _href(path: str) -> str:
    """A relative link to a file of the site, quoted for a URL and escaped for an attribute."""
    return html.escape(quote(path))


def index_page(infos: list[dict], gallery: list[str]) -> str:
    rows = "\n".join(
        f'<tr><td>{d["number"]}</td><td><a href="{_href(d["page"])}">{html.escape(d["title"])}</a></td>'
        f'<td>{html.escape(d["section"])}</td><td>{len(d["figures"])}</td></tr>' for d in infos)
    images = "\n".join(f'<figure><img src="{_href("figures/" + n)}" alt="{html.escape(n)}">'
                       f"<figcaption>{html.escape(n)}</figcaption></figure>" for n in gallery)
    body = (f"<h1>numpycam: CAM and Grad-CAM, lesson by lesson</h1>\n<h2>Lessons</h2>\n"
            f'<table class="nc"><tr><th>#</th><th>lesson</th><th>post section</th><th>figures</th></tr>\n'
            f"{rows}</table>\n<h2>Demo gallery</h2>\n{images}\n"
            "<p><small>Equations typeset by MathJax 2 (Apache-2.0, <code>mathjax/LICENSE</code>), copied "
            "from the jupyter-server-mathjax package; the site fetches nothing from other hosts.</small></p>")
    return PAGE.format(title="numpycam lessons", css=CSS, body=body)


def exercises_page(readme: Path) -> str:
    """The exercises README as a page, with a link to the student file copied beside it."""
    import mistune

    text = readme.read_text(encoding="utf-8") if readme.is_file() else "# Exercises\n\nNo exercises folder."
    if (readme.parent / "exercises.py").is_file():
        text += "\n\nThe student file: [exercises.py](exercises.py).\n"
    return PAGE.format(title="numpycam exercises", css=CSS, body=mistune.html(text))


def _notebooks(scripts, notebooks, say) -> list:
    """Each lesson's executed notebook: read from ``notebooks``, or run in a temporary folder of
    its own (removed after: the site folder gets nothing but its pages)."""
    _, _, nbformat = notebook_tools()
    if notebooks is not None:
        return [nbformat.read(Path(notebooks) / f"{s.stem}.ipynb", as_version=4) for s in scripts]
    nbs = []
    with tempfile.TemporaryDirectory(prefix="numpycam-site-") as work:
        for script in scripts:
            start = time.perf_counter()
            nbs.append(execute_lesson(script, work))
            say(f"executed {script.name} ({time.perf_counter() - start:.1f} s)")
    return nbs


def build_site(out, *, lessons="lessons", notebooks=None, figures_src="figures", only: list[str] | None = None,
               say: Callable[[str], None] = print) -> list[Path]:
    """Write the site into ``out``; returns the HTML pages written, index first.

    ``notebooks``: a folder of already executed ``NN_name.ipynb`` (from ``numpycam notebooks``)
    to convert as they are; without it every lesson is executed here, in a temporary folder.
    ``figures_src``: where the demo's PNGs (``demo_*.png``) are copied from. Only the files
    named above are written; every figure name read from a notebook is checked to be a plain
    file name, every path to stay inside ``out`` (no symbolic link out); the files of an
    earlier build that are replaced are named (``say``) before the first write; nothing is deleted.
    """
    scripts = select(lesson_scripts(lessons), only)
    out = Path(out)
    nbs = _notebooks(scripts, notebooks, say)
    shown = [figure_pngs(nb, f"{s.stem}.ipynb") for nb, s in zip(nbs, scripts, strict=True)]
    infos = [lesson_info(nb, s.stem) for nb, s in zip(nbs, scripts, strict=True)]
    # the gallery first (the README's picture), then one figure per method and the scene
    gallery = sorted((p.name for p in Path(figures_src).glob("demo_*.png")), key=lambda n: (n != "demo_gallery.png", n))
    exercises = Path(lessons) / "exercises"
    student = (exercises / "exercises.py").is_file()
    names = ["index.html", *[d["page"] for d in infos], "exercises.html", *(["exercises.py"] if student else []),
             *[f"figures/{n}" for figs in shown for n in figs], *[f"figures/{n}" for n in gallery]]
    targets = {name: _inside(out, name) for name in [*names, "figures", "mathjax"]}  # all checked first
    replaced = [n for n in names if targets[n].exists()]
    if replaced:
        more = f" and {len(replaced) - 8} more" if len(replaced) > 8 else ""
        say(f"replacing {len(replaced)} files of an earlier build in {out}: {', '.join(replaced[:8])}{more}")
    targets["figures"].mkdir(parents=True, exist_ok=True)
    exporter = _exporter()
    pages = []
    for i, (nb, info, figs) in enumerate(zip(nbs, infos, shown, strict=True)):
        for name, data in figs.items():
            targets[f"figures/{name}"].write_bytes(data)
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": info["title"]}, "nc_css": CSS, "nc_nav": _nav(infos, i)})
        targets[info["page"]].write_text(body, encoding="utf-8")
        pages.append(targets[info["page"]])
    for name in gallery:
        shutil.copy2(Path(figures_src) / name, targets[f"figures/{name}"])
    targets["index.html"].write_text(index_page(infos, gallery), encoding="utf-8")
    targets["exercises.html"].write_text(exercises_page(exercises / "README.md"), encoding="utf-8")
    if student:
        shutil.copy2(exercises / "exercises.py", targets["exercises.py"])
    if not targets["mathjax"].is_dir():
        shutil.copytree(_mathjax_source(), targets["mathjax"])
    say(f"wrote {len(pages)} lesson pages, index.html and exercises.html in {out}")
    return [targets["index.html"], *pages, targets["exercises.html"]]
