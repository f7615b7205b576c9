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
a ValueError before anything runs. Tensors are then read as NumPy views into their storage
(offset, shape and strides, in elements, checked to stay inside it) and copied out.
"""

from __future__ import annotations

import collections
import io
import pickle
from pathlib import Path
from typing import NamedTuple

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001
STORAGE_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64}  # what state dicts hold


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


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                    metadata=None):
    """Stand-in for torch._utils._rebuild_tensor_v2: records where the tensor's numbers are."""
    if not isinstance(storage, _StorageRef):
        raise pickle.UnpicklingError("a tensor's storage is not a storage reference")
    ints = lambda t: isinstance(t, tuple) and all(isinstance(v, int) and v >= 0 for v in t)  # noqa: E731
    if not isinstance(storage_offset, int) or storage_offset < 0 or not ints(size) or not ints(stride) \
            or len(size) != len(stride):
        raise pickle.UnpicklingError(f"bad tensor geometry: offset {storage_offset!r}, size {size!r}, "
                                     f"stride {stride!r}")
    return _TensorRef(storage, storage_offset, size, stride)


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    **{("torch", name): _StorageType(name, dt) for name, dt in STORAGE_DTYPES.items()},
}


class _SafeUnpickler(pickle.Unpickler):
    """Resolves only the globals of ``_ALLOWED`` (to local stand-ins); refuses every other."""

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
                or not isinstance(pid[4], int) or pid[4] < 0 or pid[5] is not None):
            raise pickle.UnpicklingError(f"unsupported storage reference {pid!r}")
        return _StorageRef(np.dtype(pid[1].dtype), pid[2], pid[4])


def _load(f):
    return _SafeUnpickler(f).load()


def read_pth(path) -> dict[str, np.ndarray]:
    """The state dict of a legacy PyTorch ``.pth`` file as {name: NumPy array} (copies, C order).

    Raises FileNotFoundError for a missing file and ValueError for anything that is not a
    complete legacy tensor state dict (empty, truncated, zip-format, not a pickle, or a pickle
    that names a global outside the allow-list).
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
    f = io.BytesIO(data)
    try:
        if _load(f) != MAGIC:
            raise ValueError("it does not start with PyTorch's magic number")
        if _load(f) != PROTOCOL:
            raise ValueError("its protocol version is not 1001")
        info = _load(f)
        if not isinstance(info, dict):
            raise ValueError("its system-information record is not a dict")
        state = _load(f)
        keys = _load(f)
    except ValueError as err:
        if "refusing" in str(err):
            raise ValueError(f"{path}: {err}") from None
        raise ValueError(f"{path} is not a legacy PyTorch .pth file: {err}") from None
    except (pickle.UnpicklingError, EOFError, IndexError, KeyError, TypeError, AttributeError,
            UnicodeDecodeError, OverflowError, MemoryError) as err:
        raise ValueError(f"{path} is not a legacy PyTorch .pth file, or it is cut short "
                         f"({type(err).__name__}: {err})") from None
    order = "<" if info.get("little_endian", True) else ">"
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"{path}: the list of storage keys is not a list of strings")
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, _TensorRef)
                                              for k, v in state.items()):
        raise ValueError(f"{path} does not hold a state dict (a dict of name -> tensor)")
    needed = {t.storage.key: t.storage for t in state.values()}
    storages = {}
    pos = f.tell()
    for key in keys:
        if pos + 8 > len(data):
            raise ValueError(f"{path} is cut short: storage {key!r} is missing")
        numel = int.from_bytes(data[pos : pos + 8], "little")
        ref = needed.get(key)
        itemsize = ref.dtype.itemsize if ref else 1
        end = pos + 8 + numel * itemsize
        if end > len(data):
            raise ValueError(f"{path} is cut short: storage {key!r} needs {numel * itemsize} bytes, "
                             f"{len(data) - pos - 8} are left")
        if ref is not None:
            if numel != ref.numel:
                raise ValueError(f"{path}: storage {key!r} holds {numel} numbers, its tensors expect {ref.numel}")
            storages[key] = np.frombuffer(data, dtype=ref.dtype.newbyteorder(order), count=numel,
                                          offset=pos + 8)
        pos = end
    missing = sorted(set(needed) - set(storages))
    if missing:
        raise ValueError(f"{path}: storages {missing[:5]} are referenced but not stored")
    return {name: _tensor(t, storages[t.storage.key], name, path) for name, t in state.items()}


def _tensor(t: _TensorRef, storage: np.ndarray, name: str, path) -> np.ndarray:
    """The tensor's numbers: a strided view into its storage, bounds-checked, copied out."""
    if any(n == 0 for n in t.size):
        return np.zeros(t.size, dtype=storage.dtype.newbyteorder("="))
    last = t.offset + sum((n - 1) * s for n, s in zip(t.size, t.stride, strict=True))
    if last >= storage.size:
        raise ValueError(f"{path}: tensor {name!r} reaches element {last} of a storage of {storage.size}")
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[t.offset :], shape=t.size,
                                           strides=tuple(s * item for s in t.stride), writeable=False)
    return np.array(view, dtype=storage.dtype.newbyteorder("="), order="C")  # keeps 0-d as 0-d
