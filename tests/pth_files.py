"""Legacy .pth files written opcode by opcode (no torch needed), for tests/test_pth*.py.

The tests then know the exact layout: tensors that are views with an offset and strides into a
shared storage, or hostile numbers a real torch.save never writes.
"""

import pickle

MAGIC = pickle.dumps(0x1950A86A20F9469CFC6C, 2) + pickle.dumps(1001, 2)


def body(obj) -> bytes:
    """The opcodes of one simple object (str, int, tuple of ints), without PROTO and STOP; bytes
    are taken as opcodes already."""
    return obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=2)[2:-1]


HOOKS = b"ccollections\nOrderedDict\n)R"  # OrderedDict(): the (empty) backward hooks


def tensor_ops(key, numel, offset, size, stride, storage=b"FloatStorage") -> bytes:
    """_rebuild_tensor_v2((storage persistent id), offset, size, stride, False, OrderedDict())."""
    pid = b"(" + body("storage") + b"ctorch\n" + storage + b"\n" + body(key) + body("cpu") + body(numel) + b"Nt"
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"Q" + body(offset) + body(size) + body(stride)
            + b"\x89" + HOOKS + b"tR")


def state_dict(entries) -> bytes:
    """The pickle of OrderedDict(name -> tensor) for entries [(name, tensor_ops arguments)]."""
    return b"\x80\x02ccollections\nOrderedDict\n)R(" + b"".join(
        body(name) + tensor_ops(*args) for name, args in entries) + b"u."


def legacy_file(path, entries, storages, state=None, header=None):
    """Write a legacy .pth: magic, protocol, sys info, state pickle, keys, storages."""
    head = header if header is not None else (
        MAGIC + pickle.dumps({"protocol_version": 1001, "little_endian": True}, 2))
    if state is None:
        state = state_dict(entries)
    tail = pickle.dumps(list(storages), 2) + b"".join(
        len(arr).to_bytes(8, "little") + arr.tobytes() for arr in storages.values())
    path.write_bytes(head + state + tail)
    return path
