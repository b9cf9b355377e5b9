"""Python reference for the dataset benchmark: the same work as
`brightrun dataset validate` on a brightrun-lora-v4 JSONL file, with json +
tiktoken (cl100k_base): parse every line, build the conversation, count the
tokens of every message, collect per-example lengths and their percentiles.

The cl100k ranks come from a local file (this machine cannot download them);
pass its path as the second argument.
"""
import json
import sys
import time

import tiktoken
import tiktoken_ext.openai_public as openai_public
from tiktoken.load import load_tiktoken_bpe


def encoding(ranks_path):
    openai_public.load_tiktoken_bpe = lambda _url, expected_hash=None: load_tiktoken_bpe(ranks_path)
    return tiktoken.Encoding(**openai_public.cl100k_base())


def main():
    path, ranks = sys.argv[1], sys.argv[2]
    enc = encoding(ranks)
    start = time.perf_counter()
    size = 0
    lengths = []
    errors = 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            size += len(raw)
            try:
                record = json.loads(raw)
            except ValueError:
                errors += 1
                continue
            if "_meta" in record:
                continue
            target = record.get("target_response")
            if not isinstance(target, str) or not target.strip():
                continue
            messages = [record.get("system_prompt") or ""]
            history = record.get("conversation_history") or []
            messages += [m["content"] for m in history]
            user = record.get("current_user_input") or ""
            if not (history and history[-1].get("role") == "user" and history[-1]["content"] == user):
                messages.append(user)
            messages.append(target)
            lengths.append(sum(len(enc.encode_ordinary(m)) for m in messages if m))
    elapsed = time.perf_counter() - start
    lengths.sort()
    n = len(lengths)
    print(json.dumps({
        "examples": n,
        "errors": errors,
        "tokens_total": sum(lengths),
        "p95": lengths[max(0, -(-95 * n // 100) - 1)] if n else 0,
        "seconds": round(elapsed, 2),
        "mb_per_s": round(size / 1048576 / elapsed, 2),
    }))


if __name__ == "__main__":
    main()
