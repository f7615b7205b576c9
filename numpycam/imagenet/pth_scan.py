"""The .pth reader's first look at a pickle: walk its opcodes, bound them, run nothing.

Python's unpickler (in C) trusts the stream's numbers: a memo index of 2**28 makes it grow its
memo table to 4 GB, and 200,000 nested tuples overflow the recursion of a later hash or repr.
So before :mod:`numpycam.imagenet.pth` unpickles a pickle, ``scan`` reads its opcodes with
``pickletools.genops`` (which decodes arguments and executes nothing) and simulates the
unpickler's stack with one number per object, its nesting depth. It refuses, with a ValueError:

- an opcode outside ``OPCODES`` (those a tensor state dict needs: no DUP, INST, OBJ, NEWOBJ,
  extension codes or out-of-band buffers);
- more than ``MAX_OPS`` opcodes, objects nested deeper than ``MAX_DEPTH``, or more open MARKs;
- a memo PUT beyond the next free slot, or a GET of a slot never stored (Python's own pickler
  numbers its memo 0, 1, 2, ...);
- a REDUCE whose callable is not a global, and a BUILD, APPEND or SETITEM on a global (a file may
  not change the reader's functions) or on an object fetched back from the memo (Python's
  pickler never does that, and it keeps every depth below exact).
"""

from __future__ import annotations

import io
import pickletools

MAX_OPS = 500_000  # the EfficientNet-Lite0 state dict pickle has 10,696 (36 per tensor); ~4 s to scan
MAX_DEPTH = 32  # its objects nest 5 deep

_ATOMS = {"NONE", "NEWTRUE", "NEWFALSE", "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1",
          "LONG4", "FLOAT", "BINFLOAT", "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE",
          "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "BINBYTES", "SHORT_BINBYTES",
          "BINBYTES8", "EMPTY_TUPLE"}
_TUPLES = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}
_MEMO = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET"}
_MUTATE = {"APPEND": 1, "SETITEM": 2, "BUILD": 1}  # items popped before the target
OPCODES = frozenset(_ATOMS | set(_TUPLES) | _MEMO | set(_MUTATE) | {
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "TUPLE", "LIST", "DICT", "EMPTY_LIST",
    "EMPTY_DICT", "APPENDS", "SETITEMS", "GLOBAL", "STACK_GLOBAL", "REDUCE", "BINPERSID"})


class _Obj:
    """One object on the simulated stack: how deep it nests, and what may be done to it."""

    __slots__ = ("depth", "is_global", "fetched")

    def __init__(self, depth: int, is_global: bool = False):
        self.depth, self.is_global, self.fetched = depth, is_global, False


_MARK = object()


def _depth(entry) -> int:
    return entry.depth if isinstance(entry, _Obj) else entry


class _Stack:
    def __init__(self):
        self.items: list = []
        self.marks: list[int] = []  # where each open MARK sits in items

    def push(self, entry):
        if _depth(entry) > MAX_DEPTH:
            raise ValueError(f"its objects nest more than {MAX_DEPTH} deep")
        self.items.append(entry)

    def pop(self):
        if not self.items or self.items[-1] is _MARK:
            raise ValueError("an opcode takes more objects than the stack holds")
        return self.items.pop()

    def pop_mark(self) -> list:
        if not self.marks:
            raise ValueError("an opcode needs a MARK that is not there")
        i = self.marks.pop()
        items = self.items[i + 1 :]
        del self.items[i:]
        return items

    def top(self):
        if not self.items or self.items[-1] is _MARK:
            raise ValueError("an opcode needs an object the stack does not hold")
        return self.items[-1]


def _mutate(target, items: list, name: str):
    if not isinstance(target, _Obj) or target.is_global:
        raise ValueError(f"{name} on a global (a function or class) is not allowed: a file may not "
                         "change the reader's own functions")
    if target.fetched:
        raise ValueError(f"{name} on an object fetched back from the memo is not allowed")
    target.depth = max([target.depth] + [_depth(x) + 1 for x in items])
    if target.depth > MAX_DEPTH:
        raise ValueError(f"its objects nest more than {MAX_DEPTH} deep")


def _memo(stack: _Stack, memo: list, name: str, arg):
    if name == "MEMOIZE" or name.endswith("PUT"):
        idx = len(memo) if name == "MEMOIZE" else arg
        if idx > len(memo):
            raise ValueError(f"it stores memo entry {idx} when only {len(memo)} are stored "
                             "(a pickler numbers them 0, 1, 2, ...)")
        entry = stack.top()
        memo[idx : idx + 1] = [entry]
    else:
        if arg >= len(memo):
            raise ValueError(f"it fetches memo entry {arg} of {len(memo)} stored")
        entry = memo[arg]
        if isinstance(entry, _Obj):
            entry.fetched = True
        stack.push(entry)


def scan(f: io.BytesIO) -> int:
    """Check the pickle that starts at ``f``'s position; return the position after its STOP.

    Raises ValueError (the reason) for a pickle the unpickler should not be given; it leaves
    ``f`` wherever the scan stopped.
    """
    stack, memo = _Stack(), []
    for n, (op, arg, _) in enumerate(pickletools.genops(f)):
        name = op.name
        if n >= MAX_OPS:
            raise ValueError(f"its pickle has more than {MAX_OPS:,} opcodes")
        if name not in OPCODES:
            raise ValueError(f"it uses the pickle opcode {name}, which a tensor state dict never needs")
        if name in _ATOMS:
            stack.push(0)
        elif name in ("PROTO", "FRAME", "STOP"):
            pass
        elif name == "MARK":
            if len(stack.marks) >= MAX_DEPTH:
                raise ValueError(f"it opens more than {MAX_DEPTH} MARKs at once")
            stack.marks.append(len(stack.items))
            stack.items.append(_MARK)
        elif name == "POP":
            if stack.items and stack.items[-1] is _MARK:
                stack.pop_mark()
            else:
                stack.pop()
        elif name == "POP_MARK":
            stack.pop_mark()
        elif name in _MEMO:
            _memo(stack, memo, name, arg)
        elif name in _TUPLES or name == "TUPLE":
            items = [stack.pop() for _ in range(_TUPLES[name])] if name in _TUPLES else stack.pop_mark()
            stack.push(1 + max(map(_depth, items), default=0))
        elif name in ("EMPTY_LIST", "EMPTY_DICT"):
            stack.push(_Obj(1))
        elif name in ("LIST", "DICT"):
            stack.push(_Obj(1 + max(map(_depth, stack.pop_mark()), default=0)))
        elif name in _MUTATE:
            items = [stack.pop() for _ in range(_MUTATE[name])]
            _mutate(stack.top(), items, name)
        elif name in ("APPENDS", "SETITEMS"):
            items = stack.pop_mark()
            _mutate(stack.top(), items, name)
        elif name in ("GLOBAL", "STACK_GLOBAL"):
            if name == "STACK_GLOBAL":
                stack.pop(), stack.pop()
            stack.push(_Obj(1, is_global=True))
        elif name == "REDUCE":
            args, func = stack.pop(), stack.pop()
            if not (isinstance(func, _Obj) and func.is_global):
                raise ValueError("its REDUCE calls something that is not an allowed global")
            stack.push(_Obj(1 + _depth(args)))
        elif name == "BINPERSID":
            stack.push(_Obj(1 + _depth(stack.pop())))
    if len(stack.items) != 1:
        raise ValueError(f"its pickle leaves {len(stack.items)} objects on the stack, not one")
    return f.tell()
