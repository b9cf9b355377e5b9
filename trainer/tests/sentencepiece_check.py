"""SentencePiece vocabularies in BrightRun's GGUF exports, against Google's
own `sentencepiece` and llama.cpp's own `gguf` reader.

  sentencepiece_check.py train DIR
      trains a small BPE SentencePiece model as Llama 2's is made (byte
      fallback, no normalisation), with a user-defined and a control
      symbol, into DIR/tokenizer.model
  sentencepiece_check.py check FILE.gguf DIR VOCAB_SIZE
      reads the GGUF's tokenizer.ggml.* and compares them with what
      convert_hf_to_gguf.py derives from DIR (tokenizer.model through
      sentencepiece, then tokenizer_config.json's added_tokens_decoder);
      prints a JSON summary, or exits 1 saying what differs
"""

import json
import sys
from pathlib import Path

import numpy as np
import sentencepiece as spm

# gguf's TokenType
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def train(out: Path) -> None:
    lines = [
        "Where do I start with my debts? Start with the smallest balance.",
        "A budget is a plan for money you already have, not a punishment.",
        "It is normal to feel anxious about retirement savings at any age.",
        "Paying yourself first means saving before you spend the rest.",
        "Interest compounds: small amounts saved early grow the most.",
    ] * 40
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_prefix=str(out / "tokenizer"),
        model_type="bpe",
        vocab_size=300,
        byte_fallback=True,
        user_defined_symbols=["<sep>"],
        control_symbols=["<ctl>"],
        hard_vocab_limit=False,
        # As Llama 2's tokenizer.model: text as it is, spaces kept.
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        minloglevel=2,
    )


def looks_special(t: str) -> bool:
    return (
        t in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
        or (t.startswith("<|") and t.endswith("|>"))
        or (t.startswith("<｜") and t.endswith("｜>"))
        or (t.startswith("<unused") and t.endswith(">"))
    )


def expected(model_dir: Path, vocab_size: int):
    sp = spm.SentencePieceProcessor()
    sp.LoadFromFile(str(model_dir / "tokenizer.model"))
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    scores = [-10000.0] * vocab_size
    types = [UNUSED] * vocab_size
    for i in range(min(sp.vocab_size(), vocab_size)):
        kind = NORMAL
        if sp.IsUnknown(i):
            kind = UNKNOWN
        elif sp.IsControl(i):
            kind = CONTROL
        elif sp.IsUnused(i):
            kind = UNUSED
        elif sp.IsByte(i):
            kind = BYTE
        tokens[i], scores[i], types[i] = sp.IdToPiece(i), sp.GetScore(i), kind
    config = json.loads((model_dir / "tokenizer_config.json").read_text())
    for key, data in config.get("added_tokens_decoder", {}).items():
        i, text = int(key), data["content"]
        if i >= vocab_size:
            continue
        if data.get("special") or looks_special(text):
            types[i] = CONTROL
        else:
            text = text.replace("\u2581", " ")
            types[i] = USER_DEFINED
        tokens[i], scores[i] = text, -1000.0
    return tokens, np.array(scores, dtype=np.float32), types, sp.vocab_size()


def field(reader, key):
    f = reader.get_field(key)
    if f is None:
        raise SystemExit(f"`{key}` is missing")
    return f


def check(path: Path, model_dir: Path, vocab_size: int) -> None:
    from gguf import GGUFReader

    reader = GGUFReader(path, "r")
    tokens, scores, types, pieces = expected(model_dir, vocab_size)
    f = field(reader, "tokenizer.ggml.tokens")
    got_tokens = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    f = field(reader, "tokenizer.ggml.scores")
    got_scores = np.array([f.parts[i][0] for i in f.data], dtype=np.float32)
    f = field(reader, "tokenizer.ggml.token_type")
    got_types = [int(f.parts[i][0]) for i in f.data]
    wrong = []
    for name in ("model", "pre"):
        f = field(reader, f"tokenizer.ggml.{name}")
        value = bytes(f.parts[-1]).decode("utf-8")
        want = "llama" if name == "model" else "default"
        if value != want:
            wrong.append(f"tokenizer.ggml.{name} is `{value}`, want `{want}`")
    if reader.get_field("tokenizer.ggml.merges") is not None:
        wrong.append("a SentencePiece vocabulary has no merges")
    for i in range(max(len(tokens), len(got_tokens))):
        want = (tokens[i], scores[i], types[i]) if i < len(tokens) else None
        got = None
        if i < len(got_tokens):
            got = (got_tokens[i], got_scores[i], got_types[i])
        if want != got:
            wrong.append(f"id {i}: {got!r}, want {want!r}")
    if wrong:
        raise SystemExit("\n".join(wrong[:20]))
    counts = {k: types.count(v) for k, v in
              [("byte", BYTE), ("control", CONTROL), ("user_defined", USER_DEFINED),
               ("unused", UNUSED), ("normal", NORMAL), ("unknown", UNKNOWN)]}
    print(json.dumps({"tokens": len(got_tokens), "pieces": pieces, "types": counts}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["train"]:
        train(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["check"]:
        check(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(__doc__)
