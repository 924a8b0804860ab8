"""The default model as a dynamically quantised int8 ONNX graph vs. sentence-transformers (torch).

    pip install onnx          # onnxruntime comes with wpkb[ocr]
    python bench/onnx_int8.py --kb KB [--questions ../shared/eval/dev.jsonl] [--chunks 256]

Why by hand: sentence-transformers' own ONNX backend (`sentence-transformers[onnx]`) needs
optimum-onnx, which pins transformers < 4.56 while sentence-transformers 6 needs >= 5, so pip
cannot install it. This script exports the converted model with torch.onnx, fuses it with
onnxruntime's BERT optimizer, quantises its weights to int8 (made once, cached beside the
converted model), then prints: chunks/s of both at the build's batch size on a sample of the
KB's chunks and the cosine between their vectors; with --questions, also the question set's
R@1/R@5/MRR@10 in dense and hybrid mode with every chunk and question re-embedded in int8
(a copy of the KB with its vectors replaced; takes ~6 minutes for the shared corpus).
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def export_int8(st, folder: Path) -> Path:
    """The int8 graph for the sentence-transformers model ``st``, made once into ``folder``."""
    out = folder / "model-int8.onnx"
    if out.exists():
        return out
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    folder.mkdir(parents=True, exist_ok=True)
    bert = st[0].auto_model.eval()

    class Hidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    dummy = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with tempfile.TemporaryDirectory() as tmp:
        fp32, fused = Path(tmp) / "fp32.onnx", Path(tmp) / "fused.onnx"
        torch.onnx.export(Hidden(bert), (dummy, dummy), str(fp32), input_names=["input_ids", "attention_mask"],
                          output_names=["hidden"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "hidden": axes})
        cfg = bert.config
        optimizer.optimize_model(str(fp32), model_type="bert", num_heads=cfg.num_attention_heads,
                                 hidden_size=cfg.hidden_size).save_model_to_file(str(fused))
        tmp_out = Path(tmp) / "int8.onnx"
        quantize_dynamic(str(fused), str(tmp_out), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": 1})  # fused ops hide some types from inference
        shutil.move(tmp_out, out)
    return out


class OnnxEncoder:
    """Mean-pooled, normalised vectors from the int8 graph, with the model's own tokenizer."""

    def __init__(self, path: Path, st):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 0  # every core
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = st.tokenizer
        self.max_len = st.max_seq_length
        self.prompts = st.prompts

    def encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        out = []
        for i in range(0, len(texts), batch_size):
            part = [self.prompts[prompt] + t for t in texts[i:i + batch_size]]
            enc = self.tokenizer(part, padding=True, truncation=True, max_length=self.max_len, return_tensors="np")
            mask = enc["attention_mask"].astype(np.int64)
            hidden = self.session.run(None, {"input_ids": enc["input_ids"].astype(np.int64), "attention_mask": mask})[0]
            m = mask[..., None].astype(np.float32)
            v = (hidden * m).sum(1) / m.sum(1)
            out.append(v / np.linalg.norm(v, axis=1, keepdims=True))
        return np.vstack(out).astype(np.float32)


def chunk_texts(kb: Path) -> tuple[np.ndarray, list[str]]:
    from wpkb.ingest.kb import KB

    reader = KB.open(kb)
    try:
        return reader.chunk_texts()
    finally:
        reader.close()


def speed(st, onnx: OnnxEncoder, texts: list[str], batch: int) -> None:
    st.encode(texts[:4], prompt_name="passage", batch_size=batch)
    onnx.encode(texts[:4], "passage", batch)
    t = time.perf_counter()
    ref = st.encode(texts, prompt_name="passage", batch_size=batch, normalize_embeddings=True)
    t_st = time.perf_counter() - t
    t = time.perf_counter()
    got = onnx.encode(texts, "passage", batch)
    t_onnx = time.perf_counter() - t
    cos = (ref * got).sum(1)
    print(f"{len(texts)} chunks, batches of {batch}")
    print(f"  sentence-transformers (torch, fp32): {len(texts) / t_st:6.1f} chunks/s")
    print(f"  onnxruntime int8:                    {len(texts) / t_onnx:6.1f} chunks/s  "
          f"(ratio {t_st / t_onnx:.2f}; cosine to torch min {cos.min():.4f}, mean {cos.mean():.4f})")


def replace_vectors(kb: Path, ids: np.ndarray, vecs: np.ndarray) -> None:
    """Every segment of a KB copy rewritten with these vectors for its chunks, and the
    segment's recorded checksums with it (this bench's copy only; builds never do this)."""
    import json
    import sqlite3

    from wpkb.ingest import manifest, vectors

    m = manifest.read_manifest(kb)
    row = {int(c): i for i, c in enumerate(ids)}
    db = sqlite3.connect(kb / manifest.DB)
    for seg in m.segments:
        held = np.sort(vectors.vector_ids(vectors.read_index(kb / seg.faiss_file)))
        index = vectors.segment_index(held, vecs[[row[int(c)] for c in held]], m.dim)
        vectors.write_index(index, kb / seg.faiss_file)
        with db:
            db.execute("UPDATE segments SET checksums=? WHERE id=?",
                       (json.dumps(manifest.checksums(kb, seg.id)), seg.id))
    db.close()


def recall(kb: Path, questions: Path, onnx: OnnxEncoder, batch: int) -> None:
    from wpkb.ingest.manifest import read_manifest
    from wpkb.search.evaluate import evaluate, load_questions
    from wpkb.search.retrieve import Searcher

    qs = load_questions(questions)
    rows = []
    for label in ("torch fp32 (as built)", "onnxruntime int8"):
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "kb"
            shutil.copytree(kb, copy)
            if label.startswith("onnx"):
                ids, texts = chunk_texts(copy)
                order = np.argsort([len(t) for t in texts], kind="stable")
                vecs = np.empty((len(texts), read_manifest(copy).dim), dtype=np.float32)
                t = time.perf_counter()
                for i in range(0, len(order), 256):
                    part = order[i:i + 256]
                    vecs[part] = onnx.encode([texts[j] for j in part], "passage", batch)
                print(f"  re-embedded {len(texts)} chunks in int8 in {time.perf_counter() - t:.0f} s")
                replace_vectors(copy, ids, vecs)
            searcher = Searcher(copy)
            if label.startswith("onnx"):
                searcher.embedder.queries = lambda texts: onnx.encode(list(texts), "query", 32)
            for mode in ("dense", "hybrid"):
                m = evaluate(searcher, qs, 10, mode).summary()["overall"]
                rows.append((label, mode, m["recall@1"], m["recall@5"], m["mrr@10"]))
            searcher.close()
    print(f"{'vectors':<22} {'mode':<7} {'R@1':>5} {'R@5':>5} {'MRR@10':>6}")
    for label, mode, r1, r5, mrr in rows:
        print(f"{label:<22} {mode:<7} {r1:>5.2f} {r5:>5.2f} {mrr:>6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=Path, required=True)
    ap.add_argument("--questions", type=Path)
    ap.add_argument("--chunks", type=int, default=256)
    args = ap.parse_args()

    from wpkb.ingest.build import EMBED_BATCH
    from wpkb.ingest.embed import Embedder, ensure_converted, resolve_model

    ref = resolve_model(None)
    folder = ensure_converted(ref)
    st = Embedder(ref)._model()
    t = time.perf_counter()
    path = export_int8(st, folder.with_name(folder.name + "-onnx-int8"))
    print(f"int8 graph: {path} ({path.stat().st_size / 2**20:.0f} MiB; {time.perf_counter() - t:.0f} s to get)")
    onnx = OnnxEncoder(path, st)
    _, texts = chunk_texts(args.kb)
    random.Random(0).shuffle(texts)
    speed(st, onnx, sorted(texts[:args.chunks], key=len), EMBED_BATCH)
    if args.questions:
        recall(args.kb, args.questions, onnx, EMBED_BATCH)


if __name__ == "__main__":
    main()
