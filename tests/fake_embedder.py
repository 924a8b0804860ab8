"""A deterministic stand-in for the embedding model in unit tests: hashed character n-grams.

Texts that share words and characters get close vectors, which is all the store, build,
incremental and fusion logic needs; loading the real model takes seconds per process.
Each n-gram lands in one of 384 dimensions with a sign, both from its CRC32, and the
vector is scaled to unit length, as the real model's are.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

DIM = 384
_TOKENS = re.compile(r"[\u3400-\u9fff]|[a-z0-9]+")


def embed(texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        tokens = _TOKENS.findall(text.lower())
        grams = tokens + [a + b for a, b in zip(tokens, tokens[1:])]
        grams += [w[i:i + 3] for w in tokens if len(w) > 3 for i in range(len(w) - 2)]
        for g in grams:
            h = zlib.crc32(g.encode())
            out[row, h % DIM] += 1.0 if (h >> 16) & 1 else -1.0
        norm = np.linalg.norm(out[row])
        out[row] = out[row] / norm if norm else np.eye(DIM, dtype=np.float32)[0]
    return out


def _passages(self, texts, batch_size=32, light=False):
    return embed(list(texts))


def _queries(self, texts):
    return embed(list(texts))


def install(patch=setattr) -> None:
    """Make every Embedder use the fake; ``patch`` is setattr or a monkeypatch's setattr."""
    from wpkb.ingest.embed import Embedder

    patch(Embedder, "passages", _passages)
    patch(Embedder, "answer_passages", _queries)
    patch(Embedder, "queries", _queries)
