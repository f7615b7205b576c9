"""Hostile legacy .pth files (issue 26): each is refused with a ValueError naming the file and the
reason, in little memory and time, and none of them changes the reader.

Every payload is small and written opcode by opcode (tests/pth_files.py). The sizes are chosen
so that the reader before the fix misbehaved within 1 GB: it returned wrong or expanded arrays,
let a non-ValueError escape, or let the file rename its own function.
"""

import pickle
import zipfile

import numpy as np
import pytest
from pth_files import MAGIC, body, legacy_file, state_dict

import numpycam as nc
from numpycam.imagenet import pth
from numpycam.imagenet.pth import read_pth

F4 = np.arange(4, dtype="<f4")


def refused(path, reason):
    """read_pth(path) raises a ValueError that names the file and matches the reason."""
    with pytest.raises(ValueError, match=reason) as err:
        read_pth(path)
    assert str(path) in str(err.value)
    return str(err.value)


def one_tensor(tmp_path, size, stride, offset=0, storage=F4, name="t.pth"):
    return legacy_file(tmp_path / name, [("t", ("s0", len(storage), offset, size, stride))], {"s0": storage})


@pytest.mark.parametrize("numel", [10**8, 10**12])
def test_a_stride_0_tensor_is_refused_not_expanded(tmp_path, numel):
    # before: 10**8 was expanded into a 400 MB array, 10**12 let a MemoryError escape
    refused(one_tensor(tmp_path, (numel,), (0,)), "overlapping.*expand")


def test_ten_stride_0_tensors_are_refused(tmp_path):
    entries = [(f"t{i}", ("s0", 4, 0, (10**12, 3), (0, 1))) for i in range(10)]
    refused(legacy_file(tmp_path / "ten.pth", entries, {"s0": F4}), "overlapping")


def test_an_overlapping_view_is_refused(tmp_path):
    storage = np.arange(100, dtype="<f4")  # t[i, j] = s[i + j]: 90 of the 100 numbers, each many times
    refused(one_tensor(tmp_path, (10, 10), (1, 1), storage=storage), "overlapping")


def test_a_huge_size_is_a_value_error(tmp_path):
    refused(one_tensor(tmp_path, (10**20,), (1,)), "reaches element")  # before: OverflowError (stride 0)
    refused(one_tensor(tmp_path, (0, 10**20), (1, 1), name="empty.pth"), "empty tensor")  # before: OverflowError


def test_an_empty_tensor_reads_with_an_empty_storage(tmp_path):
    path = legacy_file(tmp_path / "e.pth", [("t", ("s0", 0, 0, (0, 10), (10, 1)))], {"s0": F4[:0]})
    assert read_pth(path)["t"].shape == (0, 10)  # like torch.empty(0, 10)


def test_a_huge_stride_on_a_dimension_of_one_is_harmless(tmp_path):
    sd = read_pth(one_tensor(tmp_path, (1, 2), (2**62, 1), offset=1))  # before: OverflowError
    np.testing.assert_array_equal(sd["t"], [[1, 2]])
    refused(one_tensor(tmp_path, (2, 2), (2**62, 1), name="big.pth"), "reaches element")


@pytest.mark.parametrize("size,stride,offset", [((True, 2), (2, 1), 0), ((2,), (1,), False)])
def test_booleans_in_the_geometry_are_refused(tmp_path, size, stride, offset):
    refused(one_tensor(tmp_path, size, stride, offset), "bad tensor geometry")  # before: TypeError, or read


@pytest.mark.parametrize("where", ["offset", "size", "key"])
def test_200000_deep_tuples_are_refused_by_the_scan(tmp_path, where):
    deep = b")" + b"\x85" * 200_000  # (((...(),),),) by TUPLE1: 200 KB; before: RecursionError
    args = {"offset": ("s0", 4, deep, (2,), (1,)), "size": ("s0", 4, 0, deep, (1,)),
            "key": (deep, 4, 0, (2,), (1,))}[where]
    refused(legacy_file(tmp_path / "deep.pth", [("t", args)], {"s0": F4}), "nest more than 32 deep")


def test_a_memo_index_beyond_the_stored_ones_is_refused(tmp_path):
    # LONG_BINPUT 2**24: before, the unpickler grew its memo to 256 MB (2**28 in 152 bytes: 4.1 GB)
    header = MAGIC + b"\x80\x02}r" + (2**24).to_bytes(4, "little") + b"."
    refused(legacy_file(tmp_path / "memo.pth", [], {}, header=header), "memo entry 16777216")


def test_one_storage_key_has_one_type(tmp_path):
    longs = np.array([1, 2], dtype="<i8")
    entries = [("a", ("k", 2, 0, (2,), (1,), b"LongStorage")), ("b", ("k", 2, 0, (2,), (1,)))]
    # before: "b" came back as [1.4e-45, 0.0], the int64 bytes read as float32
    refused(legacy_file(tmp_path / "both.pth", entries, {"k": longs}), "both int64 x 2 and float32 x 2")


@pytest.mark.parametrize("state", [b"N}X\x08\x00\x00\x00__name__X\x05\x00\x00\x00pwneds\x86",  # slot state
                                   b"}X\x01\x00\x00\x00xK\x01s",  # a plain dict state
                                   b"N}X\x0c\x00\x00\x00__defaults__)s\x86"])
@pytest.mark.parametrize("target", [b"ctorch._utils\n_rebuild_tensor_v2\n", b"ccollections\nOrderedDict\n",
                                    b"ctorch\nFloatStorage\n"])
def test_build_on_a_global_is_refused_and_changes_nothing(tmp_path, target, state):
    path = legacy_file(tmp_path / "build.pth", [], {}, state=b"\x80\x02" + target + state + b"b.")
    before = _function_state()
    with pytest.raises(ValueError) as err:
        read_pth(path)
    assert _function_state() == before  # before the fix: renamed 'pwned', a new attribute, new defaults
    assert "BUILD on a global" in str(err.value) and str(path) in str(err.value)


def _function_state():
    f = pth._rebuild_tensor
    return f.__name__, dict(f.__dict__), f.__defaults__


def test_build_through_the_memo_is_refused_too(tmp_path):
    # the function stored in the memo, fetched back, then built on
    state = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x000h\x00"
             b"N}X\x08\x00\x00\x00__name__X\x01\x00\x00\x00xs\x86b.")
    with pytest.raises(ValueError, match="memo_build.pth") as err:
        read_pth(legacy_file(tmp_path / "memo_build.pth", [], {}, state=state))
    assert pth._rebuild_tensor.__name__ == "_rebuild_tensor"  # before: renamed 'x'
    assert "BUILD on a global" in str(err.value)


def test_views_sharing_one_storage_cannot_multiply_it(tmp_path):
    storage = np.arange(1000, dtype="<f4")
    entries = [(f"t{i}", ("s0", 1000, i, (990,), (1,))) for i in range(3)]  # 3 x 990 numbers of 1000
    refused(legacy_file(tmp_path / "many.pth", entries, {"s0": storage}), "more than 2 times")
    tied = legacy_file(tmp_path / "tied.pth", entries[:2], {"s0": storage})  # tied weights: fine
    assert read_pth(tied)["t1"][0] == 1


def test_nc_load_on_a_pytorch_file_points_to_the_pytorch_reader(tmp_path):
    legacy = one_tensor(tmp_path, (4,), (1,))
    renamed = tmp_path / "weights.bin"
    renamed.write_bytes(legacy.read_bytes())
    new = tmp_path / "new.pt"
    with zipfile.ZipFile(new, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({}, 2))
    for path in (legacy, renamed, new):
        with pytest.raises(ValueError, match="looks like a PyTorch file") as err:
            nc.load(path)
        assert "read_pth" in str(err.value) and "Write one with" not in str(err.value)


def test_the_scan_passes_what_the_pickler_writes(tmp_path):
    path = legacy_file(tmp_path / "ok.pth", [], {}, state=state_dict([]))
    assert read_pth(path) == {}
    obj = {"a": [1, 2.5, ("x", None, True)], "b": {"c": []}}
    for protocol in (2, 4):
        header = MAGIC + pickle.dumps(obj, protocol)  # a richer info record still reads
        assert read_pth(legacy_file(tmp_path / f"p{protocol}.pth", [], {}, header=header)) == {}
    assert body(3) == b"K\x03"


INFO = pickle.dumps({"little_endian": True}, 2)
ONE = state_dict([("t", ("s0", 4, 0, (4,), (1,)))])
S0 = (4).to_bytes(8, "little") + F4.tobytes()


@pytest.mark.parametrize("data,reason", [
    (MAGIC + INFO + ONE + pickle.dumps(["s0", "s0"], 2) + 2 * S0, "distinct strings"),  # before: read
    (MAGIC + b"\x80\x02](" + b"N" * 600_000 + b"e.", "more than 500,000 opcodes"),
    (MAGIC + b"\x80\x02" + b"(" * 100_000 + b".", "more than 32 MARKs"),
    (MAGIC + b"\x80\x02}2.", "opcode DUP"),
    (MAGIC + b"\x80\x02ccollections\nOrderedDict\n)\x81.", "opcode NEWOBJ"),
    (MAGIC + b"\x80\x02]q\x00h\x00a.", "APPEND on an object fetched back from the memo"),  # a list in itself
    (MAGIC + b"\x80\x02h\x05.", "fetches memo entry 5 of 0"),
    (MAGIC + b"\x80\x02K\x01)R.", "REDUCE calls something that is not an allowed global"),
    (MAGIC + INFO + state_dict([("t", ("s0", 2**40, 0, (2,), (1,)))]) + pickle.dumps(["s0"], 2) + S0,
     "more than the file's bytes"),
    (MAGIC + INFO + state_dict([("t", ("s0", 4, 0, (1,) * 64, (1,) * 64))]) + pickle.dumps(["s0"], 2) + S0,
     "bad tensor geometry"),  # before: read, 64 dimensions
])
def test_second_pass_hostile_files(tmp_path, data, reason):
    path = tmp_path / "hostile.pth"
    path.write_bytes(data)
    refused(path, reason)


def test_a_big_endian_file_still_reads(tmp_path):
    header = MAGIC + pickle.dumps({"little_endian": False}, 2)
    path = legacy_file(tmp_path / "be.pth", [("t", ("s0", 4, 0, (4,), (1,)))], {"s0": F4.astype(">f4")}, header=header)
    np.testing.assert_array_equal(read_pth(path)["t"], F4)
