"""A safe reader for PyTorch's LEGACY (pre-zip, before torch 1.6) ``.pth`` files, with only the
standard library and NumPy: ``read_pth(path) -> {name: array}``.

The legacy file is five things one after the other:

    1. a pickle of the magic number 0x1950a86a20f9469cfc6c
    2. a pickle of the protocol version, 1001
    3. a pickle of system information ({"little_endian": ..., "type_sizes": ...})
    4. the pickle of the saved object (here a state dict, an OrderedDict name -> tensor). A
       tensor is pickled as a call to ``torch._utils._rebuild_tensor_v2(storage, offset,
       size, stride, requires_grad, hooks)``, and its storage as a persistent id
       ("storage", <storage type>, key, location, number of elements, None)
    5. a pickle of the list of storage keys, then for each key in that order: the element
       count as 8 bytes little-endian, then the storage's raw bytes.

A pickle can name any Python global and call it, so unpickling an untrusted file can run any
code. Here the unpickler accepts ONLY the globals a tensor state dict needs, and none of them is
imported or called from the file: ``collections.OrderedDict`` (a dict), the tensor-rebuild
function and the two storage types this file uses are replaced by small local stand-ins that
only record numbers. Every other global (``os.system``, ``builtins.eval``, ...) is refused with
a ValueError before anything runs.

A pickle's numbers are not trusted either: :mod:`numpycam.imagenet.pth_scan` checks each
pickle's opcodes before it is unpickled (memo, nesting, count, no BUILD on a global). Each
storage key has one type and at most as many numbers as the file has bytes. A tensor is a
strided view into its storage that must stay inside it and not overlap itself (a stride-0 view,
as torch's ``expand`` makes, is refused, never expanded), copied out; the copies hold at most
twice the numbers stored. Every bad file is a ValueError naming the file and the reason.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
from pathlib import Path
from typing import NamedTuple

import numpy as np

from numpycam.imagenet.pth_scan import scan

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001
STORAGE_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64}  # what state dicts hold
OVERCOPY = 2  # the arrays returned may hold this many times the numbers stored (tied weights)
MAX_DIMS = 32  # dimensions of a tensor


class _StorageType(NamedTuple):
    name: str
    dtype: type


class _StorageRef(NamedTuple):
    dtype: np.dtype
    key: str
    numel: int


class _TensorRef(NamedTuple):
    storage: _StorageRef
    offset: int
    size: tuple
    stride: tuple


class _Global:
    """An allowed global as the file sees it: callable, but a BUILD cannot change it."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)

    def __setstate__(self, state):
        raise ValueError("BUILD on a global is not allowed")


def _is_count(v) -> bool:  # a non-negative int, not a bool
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                    metadata=None):
    """Stand-in for torch._utils._rebuild_tensor_v2: records where the tensor's numbers are."""
    if not isinstance(storage, _StorageRef):
        raise ValueError("a tensor's storage is not a storage reference")
    ints = lambda t: isinstance(t, tuple) and len(t) <= MAX_DIMS and all(map(_is_count, t))  # noqa: E731
    if not _is_count(storage_offset) or not ints(size) or not ints(stride) or len(size) != len(stride):
        raise ValueError(f"bad tensor geometry: offset, size and stride must be counts, at most {MAX_DIMS} "
                         f"(not {_kind(storage_offset)}, {_kind(size)}, {_kind(stride)})")
    return _TensorRef(storage, storage_offset, size, stride)


def _kind(v) -> str:
    """A short description of an untrusted value (never a repr of something huge or deep)."""
    if isinstance(v, tuple):
        return f"a tuple of {len(v)}"
    return repr(v)[:40] if isinstance(v, int | str) else type(v).__name__


_ALLOWED = {
    ("collections", "OrderedDict"): _Global(collections.OrderedDict),
    ("torch._utils", "_rebuild_tensor_v2"): _Global(_rebuild_tensor),
    **{("torch", name): _StorageType(name, dt) for name, dt in STORAGE_DTYPES.items()},
}


class _SafeUnpickler(pickle.Unpickler):
    """Resolves only the globals of ``_ALLOWED`` (to local stand-ins); refuses every other."""

    def __init__(self, f, storages: dict, max_numel: int):
        super().__init__(f)
        self.storages, self.max_numel = storages, max_numel

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ValueError(
                f"refusing to load the global {module}.{name} from a .pth file: only "
                f"{sorted(f'{m}.{n}' for m, n in _ALLOWED)} are allowed in a tensor state dict "
                "(unpickling anything else could run code from the file)") from None

    def persistent_load(self, pid):
        if (not isinstance(pid, tuple) or len(pid) != 6 or pid[0] != "storage"
                or not isinstance(pid[1], _StorageType) or not isinstance(pid[2], str)
                or not _is_count(pid[4]) or pid[5] is not None):
            raise ValueError(f"it holds an unsupported storage reference ({_kind(pid)})")
        kind, key, numel = pid[1], pid[2], pid[4]
        if numel > self.max_numel:
            raise ValueError(f"storage {key[:40]!r} claims {numel} numbers, more than the file's bytes")
        ref = _StorageRef(np.dtype(kind.dtype), key, numel)
        old = self.storages.setdefault(key, ref)
        if old != ref:
            raise ValueError(f"storage {key[:40]!r} is claimed as both {old.dtype} x {old.numel} and "
                             f"{ref.dtype} x {ref.numel}: one storage has one type")
        return ref


def _load(f, storages: dict, max_numel: int):
    start = f.tell()
    end = scan(f)  # the opcodes first: nothing is unpickled unless they pass
    f.seek(start)
    obj = _SafeUnpickler(f, storages, max_numel).load()
    if f.tell() != end:
        raise ValueError("the unpickler and the scan disagree on where a pickle ends")
    return obj


def read_pth(path) -> dict[str, np.ndarray]:
    """The state dict of a legacy PyTorch ``.pth`` file as {name: NumPy array} (copies, C order).

    Raises FileNotFoundError for a missing file and ValueError, naming the file and the reason,
    for anything that is not a complete legacy tensor state dict (empty, truncated, zip-format,
    not a pickle, a pickle that names a global outside the allow-list, or numbers the file
    cannot honestly hold).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no .pth file at {path}")
    data = path.read_bytes()
    if not data:
        raise ValueError(f"{path} is empty, not a PyTorch .pth file")
    if data[:4] == b"PK\x03\x04":
        raise ValueError(f"{path} is a zip archive: PyTorch's newer file format (torch >= 1.6). "
                         "This reader handles only the legacy format; re-save the state dict with "
                         "torch.save(sd, path, _use_new_zipfile_serialization=False)")
    try:
        return _read(data, path)
    except ValueError as err:
        if str(err).startswith(str(path)):
            raise
        raise ValueError(f"{path} is not a legacy PyTorch .pth file that numpycam can read: {err}") from None
    except (pickle.UnpicklingError, EOFError, IndexError, KeyError, TypeError, AttributeError,
            OverflowError, MemoryError, RecursionError) as err:  # a backstop: the scan should stop these
        raise ValueError(f"{path} is not a legacy PyTorch .pth file that numpycam can read, or it is "
                         f"cut short ({type(err).__name__}: {str(err)[:200]})") from None


def _read(data: bytes, path: Path) -> dict[str, np.ndarray]:
    f, refs = io.BytesIO(data), {}
    load = lambda: _load(f, refs, len(data))  # noqa: E731
    if load() != MAGIC:
        raise ValueError("it does not start with PyTorch's magic number")
    if load() != PROTOCOL:
        raise ValueError("its protocol version is not 1001")
    info = load()
    if not isinstance(info, dict) or not isinstance(info.get("little_endian", True), bool):
        raise ValueError("its system-information record is not a dict with a true/false little_endian")
    state, keys = load(), load()
    order = "<" if info.get("little_endian", True) else ">"
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
        raise ValueError("the list of storage keys is not a list of distinct strings")
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, _TensorRef)
                                              for k, v in state.items()):
        raise ValueError("it does not hold a state dict (a dict of name -> tensor)")
    storages, pos = {}, f.tell()
    for key in keys:
        if pos + 8 > len(data):
            raise ValueError(f"it is cut short: storage {key[:40]!r} is missing")
        numel = int.from_bytes(data[pos : pos + 8], "little")
        ref = refs.get(key)
        end = pos + 8 + numel * (ref.dtype.itemsize if ref else 1)
        if end > len(data):
            raise ValueError(f"it is cut short: storage {key[:40]!r} needs {end - pos - 8} bytes, "
                             f"{len(data) - pos - 8} are left")
        if ref is not None:
            if numel != ref.numel:
                raise ValueError(f"storage {key[:40]!r} holds {numel} numbers, its tensors expect {ref.numel}")
            storages[key] = np.frombuffer(data, dtype=ref.dtype.newbyteorder(order), count=numel,
                                          offset=pos + 8)
        pos = end
    missing = sorted({t.storage.key for t in state.values()} - set(storages))
    if missing:
        raise ValueError(f"storages {[k[:40] for k in missing[:5]]} are referenced but not stored")
    views = {name: _view(t, storages[t.storage.key], name) for name, t in state.items()}
    stored, wanted = sum(s.size for s in storages.values()), sum(v.size for v in views.values())
    if wanted > OVERCOPY * stored:
        raise ValueError(f"its tensors would copy out {wanted:,} numbers, more than {OVERCOPY} times "
                         f"the {stored:,} it stores")
    return {name: np.array(v, dtype=v.dtype.newbyteorder("="), order="C") for name, v in views.items()}


def _view(t: _TensorRef, storage: np.ndarray, name: str) -> np.ndarray:
    """The tensor as a read-only strided view into its storage, after checking that it stays
    inside it and that no two of its elements are the same number (no stride 0, no overlap)."""
    if 0 in t.size:  # an empty tensor: no numbers, but its shape must be one NumPy can hold
        if math.prod(n for n in t.size if n) > 2**40:
            raise ValueError(f"the empty tensor {name[:60]!r} has a shape {t.size} no array can have")
        return np.zeros(t.size, dtype=storage.dtype)
    reach = 0  # the last element reached by the dimensions of smaller strides
    for s, n in sorted((s, n) for n, s in zip(t.size, t.stride, strict=True) if n != 1):
        if s <= reach:
            raise ValueError(f"tensor {name[:60]!r} has overlapping (or interleaved) elements (size "
                             f"{t.size}, stride {t.stride}, as torch's expand() makes): numpycam refuses to expand it; "
                             "save tensor.contiguous() instead")
        reach += (n - 1) * s
    if t.offset + reach >= storage.size:
        raise ValueError(f"tensor {name[:60]!r} reaches element {t.offset + reach} of a storage of "
                         f"{storage.size}")
    strides = tuple(s * storage.itemsize if n != 1 else 0 for n, s in zip(t.size, t.stride, strict=True))
    return np.lib.stride_tricks.as_strided(storage[t.offset :], shape=t.size, strides=strides,
                                           writeable=False)
