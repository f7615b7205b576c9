"""The viz room: figures for the lessons, the demo, evaluate and explain. It draws, and only draws.

Every module here draws with matplotlib on headless Figures (an Agg canvas, no pyplot) and
returns or saves them; none prints or reports. Most figures take maps, scores and boxes
computed elsewhere (numpycam.methods, numpycam.evaluation); the diagrams (architecture,
summaries, network) and evaluate's box figure call the library themselves for the numbers they
write. Outside this room only ``numpycam.imagenet.photos`` imports matplotlib, to read photo
files (``matplotlib.image.imread``, JPEG through Pillow); the core (ops, nn, methods) never
does, and ``import numpycam`` loads none of it.

The drawing API, re-exported here so that a lesson writes ``from numpycam import viz``:

    fig, axes = viz.figure_grid(2, 3)            # axes is always a 2-D array (rows, cols)
    viz.show_image(axes[0, 0], x[0], "input")    # (C, H, W) or (H, W, C), float [0, 1] or uint8
    viz.heatmap(axes[0, 1], L[0], "CAM")         # one map (h, w), with a colour bar
    viz.overlay(axes[0, 2], x[0], L[0])          # the map upsampled and laid on the grey image
    viz.draw_box(axes[0, 2], box, label="truth") # (x0, y0, x1, y1), exclusive ends
    viz.bars(ax, F, top=5); viz.curve(ax, losses) # numbers: numpycam.viz.plots
    viz.save(fig, viz.figures_dir() / "05_cam.png")  # creates folders, returns the path

The modules of the room:

    colour.py        the colour rule (signed maps DIVERGING around 0, others SEQUENTIAL from 0,
                     never jet) and the colour bars
    maps.py          one axes: image, map, overlay, box, input gradient
    arrays.py        the overlay as a uint8 RGB array, no figure (numpycam.overlay)
    plots.py         bars, curves, scatter, text panels
    figure.py        figure_grid, where figures go, save
    gallery.py       the demo's figures and the one-map-per-class scene figure
    architecture.py  the two architectures, drawn from the models' own shapes
    summaries.py     the CAM and Grad-CAM summaries, term by term
    network.py       small Dense networks as nodes and edges (the gradient as paths)
    photos.py        photos explained by the ImageNet network (``numpycam explain``)
    localize.py, wsol.py, sanity.py   the figures of ``numpycam evaluate`` and lesson 15
"""

from __future__ import annotations

from numpycam.viz.arrays import overlay_rgb
from numpycam.viz.colour import DIVERGING, PREDICTED, SEQUENTIAL, TRUTH, colour_scale
from numpycam.viz.figure import figure_grid, figures_dir, save, show_saved
from numpycam.viz.maps import as_rgb, draw_box, heatmap, overlay, show_gradient, show_image
from numpycam.viz.plots import bars, curve, scatter, text_panel

__all__ = ["DIVERGING", "PREDICTED", "SEQUENTIAL", "TRUTH", "as_rgb", "bars",
           "colour_scale", "curve", "draw_box", "figure_grid", "figures_dir", "heatmap",
           "overlay", "overlay_rgb", "save", "scatter", "show_gradient", "show_image", "show_saved",
           "text_panel"]
