"""BrightRun's OpenAI-compatible API driven by OpenAI's own Python client,
as a person's existing code would use it: only base_url and the key differ.

    python openai_client.py BASE_URL API_KEY MODEL_ID

Prints one JSON object with what the client saw; raises (exit 1) when the
client cannot read an answer. The Rust test asserts on the JSON.
"""
import json
import sys

import openai

base, key, model = sys.argv[1], sys.argv[2], sys.argv[3]
client = openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=120)
messages = [
    {"role": "system", "content": "You are a calm financial coach."},
    {"role": "user", "content": "I keep overspending. Where do I start?"},
]
settings = dict(temperature=0, max_tokens=16, extra_body={"repetition_penalty": 5.0})

out = {"models": [m.id for m in client.models.list()]}

whole = client.chat.completions.create(model=model, messages=messages, **settings)
out["whole"] = {
    "content": whole.choices[0].message.content,
    "role": whole.choices[0].message.role,
    "finish_reason": whole.choices[0].finish_reason,
    "prompt_tokens": whole.usage.prompt_tokens,
    "completion_tokens": whole.usage.completion_tokens,
    "total_tokens": whole.usage.total_tokens,
}

pieces, finish, usage = [], None, None
stream = client.chat.completions.create(
    model=model, messages=messages, stream=True, stream_options={"include_usage": True}, **settings
)
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage.total_tokens
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
out["stream"] = {"pieces": pieces, "finish_reason": finish, "total_tokens": usage}

errors = {}
try:
    openai.OpenAI(base_url=f"{base}/v1", api_key="brt_wrong", max_retries=0).models.list()
except openai.AuthenticationError as e:
    errors["bad_key"] = [e.status_code, e.code]
try:
    client.chat.completions.create(model="no-such-model", messages=messages)
except openai.NotFoundError as e:
    errors["bad_model"] = [e.status_code, e.code]
try:
    client.chat.completions.create(model=model, messages=messages, temperature=3)
except openai.BadRequestError as e:
    errors["bad_temperature"] = [e.status_code, e.param]
out["errors"] = errors
print(json.dumps(out))
