"""Golden renders of each model family's published chat template by
transformers' apply_chat_template, for trainer/src/chat/real_templates.rs.

    python bench/chat_templates.py TOKENIZERS_DIR [OUT_DIR]

TOKENIZERS_DIR holds <family>.json, the tokenizer.json files the Rust test
write_family_tokenizers writes (a byte-level tokenizer with the family's
special tokens). For every family in trainer/tests/data/chat_templates/
families.json and every conversation below, every prefix of the
conversation is rendered with and without add_generation_prompt, as text
and as token ids; a template that raises records its message. strftime_now
reads a pinned clock (2026-01-15 09:30) so the renders do not change by day.
OUT_DIR defaults to trainer/tests/data/chat_templates/expected.
"""

import datetime as dt
import json
import re
import sys
from pathlib import Path

import jinja2
import tokenizers
import transformers
import transformers.utils.chat_template_utils as ctu
from transformers import PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "trainer/tests/data/chat_templates"
FIXTURE = ROOT.parent / "shared/fixtures/EQ-12-conversations-demo.jsonl"
NOW = dt.datetime(2026, 1, 15, 9, 30)


class PinnedClock(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


def short(text, limit=160):
    """The text up to the end of the sentence that reaches `limit` characters."""
    end = re.search(r"[.?!](\s|$)", text[limit:])
    return text if end is None else text[: limit + end.start() + 1]


def records():
    lines = FIXTURE.read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return {r["id"]: r for r in rows if "id" in r}


def conversations():
    """brightrun-lora-v4 style (system, user, target), a multi-turn one with
    the history, and one without a system message (the user's text with the
    trailing newline files often have, which some templates trim)."""
    rows = records()
    first, later = rows["educational_turn2_b17c02bd"], rows["educational_turn4_b17c02bd"]

    def msg(role, content):
        return {"role": role, "content": short(content)}

    system = msg("system", first["system_prompt"])
    history = [msg(t["role"], t["content"]) for t in later["conversation_history"]]
    return [
        {"name": "lora-v4", "messages": [system, msg("user", first["current_user_input"]),
                                         msg("assistant", first["target_response"])]},
        {"name": "multi-turn", "messages": [system, *history, msg("assistant", later["target_response"])]},
        {"name": "no-system", "messages": [
            {"role": "user", "content": short(first["current_user_input"]) + "\n"},
            msg("assistant", first["target_response"])]},
    ]


def tokenizer(family, tokenizers_dir):
    tok = PreTrainedTokenizerFast(
        tokenizer_file=str(Path(tokenizers_dir) / f"{family['family']}.json"),
        bos_token=family["bos"], eos_token=family["eos"])
    tok.chat_template = (DATA / f"{family['family']}.jinja").read_text()
    return tok


def render(tok, messages, generation_prompt):
    try:
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
        ids = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation_prompt,
                                      return_dict=False)
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}
    return {"text": text, "ids": list(ids)}


def renders(tok, convs):
    out = []
    for conv in convs:
        for upto in range(1, len(conv["messages"]) + 1):
            for gen in (False, True):
                r = render(tok, conv["messages"][:upto], gen)
                out.append({"conversation": conv["name"], "upto": upto, "add_generation_prompt": gen, **r})
    return out


def main():
    tokenizers_dir = sys.argv[1]
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else DATA / "expected"
    out.mkdir(parents=True, exist_ok=True)
    ctu.datetime = PinnedClock
    convs = conversations()
    versions = {"transformers": transformers.__version__, "jinja2": jinja2.__version__,
                "tokenizers": tokenizers.__version__}
    (out / "versions.json").write_text(json.dumps(versions, indent=1) + "\n")
    (out / "conversations.json").write_text(json.dumps(convs, indent=1, ensure_ascii=False) + "\n")
    for family in json.loads((DATA / "families.json").read_text()):
        golden = {"family": family["family"], "now": NOW.isoformat(),
                  "renders": renders(tokenizer(family, tokenizers_dir), convs)}
        text = json.dumps(golden, indent=1, ensure_ascii=False)
        # One line per id list keeps the files short and their diffs readable.
        text = re.sub(r"\[\s+(\d[\d,\s]*?)\s+\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)
        (out / f"{family['family']}.json").write_text(text + "\n")
        print(family["family"], sum("error" in r for r in golden["renders"]), "errors")


if __name__ == "__main__":
    main()
