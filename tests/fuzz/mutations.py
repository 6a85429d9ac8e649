"""Structure-aware mutations of a DER/BER tree (:mod:`der_tree`), driven by one seeded RNG.

:func:`mutate` takes the bytes of a valid input and a :class:`random.Random`, applies one to three
mutations and returns the new bytes and a one-line description per mutation (the node path, e.g.
``/0/1/3``, and what changed), so that a failing case explains itself. The same seed on the same
input always gives the same bytes.

Tree mutations: flip a byte of a primitive, empty a primitive, change a tag, change a length
(shorter, longer, indefinite, definite, non-minimal), duplicate / drop / swap children, make an
INTEGER non-minimal (or insert one), nest a node deeper (1 to 5 000 layers). Byte mutations, applied
after writing the tree: truncate, append trailing bytes.
"""
from __future__ import annotations

import copy
import random

from support.der_tree import Node, encode, parse

#: Tags a node is changed to: the universal types the structures use, a few they never use (REAL,
#: UTF8String where a number belongs), context tags, a multi-byte tag and a reserved one.
TAGS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x09, 0x0A, 0x0C, 0x13, 0x17, 0x18, 0x1E, 0x30, 0x31,
        0x80, 0x81, 0x82, 0xA0, 0xA1, 0xA2, 0xA3, 0x00, 0xFF]
DEPTHS = [1, 1, 2, 3, 8, 40, 200, 1000, 5000]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """``data`` changed by one to three mutations (never left unchanged), and their descriptions."""
    nodes = parse(data)
    notes: list[str] = []
    tail: list[tuple[str, object]] = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        name = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if name in ("truncate", "append"):
            tail.append((name, rng.random()))
            continue
        note = TREE_MUTATIONS[name](nodes, rng)
        if note:
            notes.append(note)
    out = encode(nodes)
    for name, _ in tail:
        out, note = BYTE_MUTATIONS[name](out, nodes, rng)
        notes.append(note)
    if out == data:                        # e.g. a swap of two equal children: force a real change
        out, note = BYTE_MUTATIONS["append"](out, nodes, rng)
        notes.append(note)
    return out, notes


# -- choosing nodes --------------------------------------------------------------------------------------
def _all(nodes: list[Node]) -> list[tuple[tuple[int, ...], Node, Node | None]]:
    return [entry for index, root in enumerate(nodes) for entry in root.walk((index,))]


def _path(path: tuple[int, ...]) -> str:
    return "/" + "/".join(map(str, path))


def _tag(node: Node) -> str:
    return node.tag.hex()


def _pick(nodes, rng, want=lambda node: True):
    choices = [entry for entry in _all(nodes) if want(entry[1])]
    return rng.choice(choices) if choices else None


def _primitive(node: Node) -> bool:
    return node.children is None


def _parent_of_children(node: Node) -> bool:
    return bool(node.children)


# -- tree mutations ---------------------------------------------------------------------------------------
def flip_byte(nodes, rng):
    picked = _pick(nodes, rng, lambda n: _primitive(n) and n.value)
    if picked is None:
        return None
    path, node, _ = picked
    i = rng.randrange(len(node.value))
    new = node.value[i] ^ (1 << rng.randrange(8)) if rng.random() < 0.7 else rng.randrange(256)
    node.value = node.value[:i] + bytes([new]) + node.value[i + 1:]
    return f"flip byte {i} of {_tag(node)} at {_path(path)} to {new:02x}"


def empty_value(nodes, rng):
    picked = _pick(nodes, rng, lambda n: _primitive(n) and n.value)
    if picked is None:
        return None
    path, node, _ = picked
    node.value = b""
    return f"empty {_tag(node)} at {_path(path)}"


def change_tag(nodes, rng):
    path, node, _ = _pick(nodes, rng)
    old = node.tag
    node.tag = b"\x1f\x81\x00" if rng.random() < 0.05 else bytes([rng.choice(TAGS)])
    if node.children is not None and not node.constructed and not node.encapsulated:
        node.indefinite = False             # keep it writable: a primitive tag over the children's bytes
    return f"tag {old.hex()} -> {node.tag.hex()} at {_path(path)}"


def change_length(nodes, rng):
    path, node, _ = _pick(nodes, rng)
    how = rng.choice(["shorter", "longer", "definite" if node.indefinite else "indefinite", "non-minimal", "huge"])
    if how == "shorter":
        node.length_delta = -rng.choice([1, 1, 2, 3, 16, 1 << 20])
    elif how == "longer":
        node.length_delta = rng.choice([1, 1, 2, 3, 16, 1000])
    elif how == "huge":
        node.length_delta = rng.choice([1 << 31, (1 << 62) - 1])
    elif how == "indefinite":
        node.indefinite = True
        if node.children is None:
            node.children = [Node(b"\x04", value=node.value)] if node.value else []   # BER-style segment
    elif how == "definite":
        node.indefinite = False
    else:
        node.length_octets = rng.choice([1, 2, 4, 8])
    return f"length {how} ({node.length_delta:+d}) of {_tag(node)} at {_path(path)}"


def duplicate_child(nodes, rng):
    picked = _pick(nodes, rng, _parent_of_children)
    if picked is None:
        return None
    path, node, _ = picked
    i = rng.randrange(len(node.children))
    node.children.insert(i + 1, copy.deepcopy(node.children[i]))
    return f"duplicate child {i} of {_tag(node)} at {_path(path)}"


def drop_child(nodes, rng):
    picked = _pick(nodes, rng, _parent_of_children)
    if picked is None:
        return None
    path, node, _ = picked
    i = rng.randrange(len(node.children))
    del node.children[i]
    return f"drop child {i} of {_tag(node)} at {_path(path)}"


def swap_children(nodes, rng):
    picked = _pick(nodes, rng, lambda n: n.children is not None and len(n.children) > 1)
    if picked is None:
        return None
    path, node, _ = picked
    i, j = rng.sample(range(len(node.children)), 2)
    node.children[i], node.children[j] = node.children[j], node.children[i]
    return f"swap children {i} and {j} of {_tag(node)} at {_path(path)}"


def nonminimal_integer(nodes, rng):
    picked = _pick(nodes, rng, lambda n: n.tag == b"\x02" and n.children is None and n.value)
    if picked is not None and rng.random() < 0.8:
        path, node, _ = picked
        node.value = (b"\xff" if node.value[0] & 0x80 else b"\x00") + node.value
        return f"non-minimal INTEGER at {_path(path)}"
    picked = _pick(nodes, rng, lambda n: n.children is not None)
    if picked is None:
        return None
    path, node, _ = picked
    i = rng.randrange(len(node.children) + 1)
    node.children.insert(i, Node(b"\x02", value=b"\x00\x01"))
    return f"insert non-minimal INTEGER as child {i} of {_tag(node)} at {_path(path)}"


def nest_deeper(nodes, rng):
    path, node, _ = _pick(nodes, rng)
    depth = rng.choice(DEPTHS)
    tag = node.tag if node.constructed and len(node.tag) == 1 else bytes([rng.choice([0x30, 0x31, 0xA0])])
    indefinite = rng.random() < 0.3
    node.wrappers.extend([(tag, indefinite)] * depth)
    return f"nest {_tag(node)} at {_path(path)} {depth} deeper in {tag.hex()}{' (indefinite)' if indefinite else ''}"


TREE_MUTATIONS = {
    "flip_byte": flip_byte, "empty_value": empty_value, "change_tag": change_tag, "change_length": change_length,
    "duplicate_child": duplicate_child, "drop_child": drop_child, "swap_children": swap_children,
    "nonminimal_integer": nonminimal_integer, "nest_deeper": nest_deeper,
}


# -- byte mutations ---------------------------------------------------------------------------------------
def truncate(data: bytes, nodes, rng) -> tuple[bytes, str]:
    cut = rng.randrange(len(data)) if data else 0
    return data[:cut], f"truncate to {cut} of {len(data)} bytes"


def append(data: bytes, nodes, rng) -> tuple[bytes, str]:
    kind = rng.choice(["zero", "eoc", "random", "copy", "open"])
    extra = {"zero": b"\x00", "eoc": b"\x00\x00", "open": b"\x30\x80",
             "random": bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))}.get(kind)
    if extra is None:
        _, node, _ = rng.choice(_all(nodes))
        extra = node.encode()[:4096]
    return data + extra, f"append {len(extra)} trailing bytes ({kind})"


BYTE_MUTATIONS = {"truncate": truncate, "append": append}

WEIGHTS = {"flip_byte": 6, "empty_value": 1, "change_tag": 3, "change_length": 4, "duplicate_child": 2,
           "drop_child": 2, "swap_children": 2, "nonminimal_integer": 2, "nest_deeper": 2, "truncate": 2,
           "append": 2}
