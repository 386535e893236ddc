"""Generate N synthetic text-generation descriptors in the real catalog's shape.

    .venv/bin/python bench/gen.py 10000 /tmp/proj        # writes /tmp/proj/models/*.yaml

The descriptors look like the catalog's text-generation models: ``@cf/<vendor>/<family>-<size>-
<variant>`` names, a beta flag on most, LoRA on about 15 %, ``info``/``terms`` links, context
limits on some, a planned deprecation date on a few, and ``json_schema`` input/output given as
pretty-printed JSON *strings* exactly as the catalog stores them. The output is deterministic for
a given N and seed, so runs are comparable.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from pathlib import Path

VENDORS = ("meta", "mistral", "google", "qwen", "microsoft", "tiiuae", "openchat", "nousresearch", "deepseek")
FAMILIES = ("llama", "mistral", "gemma", "qwen1.5", "phi", "falcon", "openchat", "hermes", "coder", "zephyr")
SIZES = ("0.5b", "1.8b", "2b", "7b", "8b", "13b", "14b", "70b")
VARIANTS = ("chat", "instruct", "it", "base", "chat-awq", "instruct-fp8", "int8", "chat-hf")
TASK = (
    '  task:\n    id: "c329a1f9-323d-4e91-b2aa-582dd4188d34"\n    name: "Text Generation"\n'
    '    description: "Family of generative text models, such as large language models (LLM), '
    'that can be adapted for a variety of natural language tasks."\n'
)
_NUMERIC = {
    "max_tokens": {"type": "integer", "default": 256},
    "temperature": {"type": "number", "minimum": 0, "maximum": 5},
    "top_p": {"type": "number", "minimum": 0, "maximum": 2},
    "top_k": {"type": "integer", "minimum": 1, "maximum": 50},
    "seed": {"type": "integer", "minimum": 1, "maximum": 9999999999},
    "repetition_penalty": {"type": "number", "minimum": 0, "maximum": 2},
}


def input_schema(lora: bool, max_length: int) -> str:
    """The catalog's prompt-or-messages input schema, as the JSON string the YAML holds."""
    prompt = {"type": "string", "minLength": 1, "maxLength": max_length}
    flags = {"raw": {"type": "boolean", "default": False}, "stream": {"type": "boolean", "default": False}}
    by_prompt: dict[str, object] = {"prompt": prompt, **flags, **_NUMERIC}
    if lora:
        by_prompt["lora"] = {"type": "string"}
    message = {
        "type": "object",
        "properties": {"role": {"type": "string"}, "content": {"type": "string", "maxLength": max_length}},
        "required": ["role", "content"],
    }
    by_messages = {"messages": {"type": "array", "items": message}, "stream": flags["stream"], **_NUMERIC}
    schema = {
        "type": "object",
        "oneOf": [
            {"properties": by_prompt, "required": ["prompt"]},
            {"properties": by_messages, "required": ["messages"]},
        ],
    }
    return json.dumps(schema, indent=2)


OUTPUT_SCHEMA = json.dumps(
    {
        "oneOf": [
            {
                "type": "object",
                "contentType": "application/json",
                "properties": {"response": {"type": "string"}},
            },
            {"type": "string", "contentType": "text/event-stream", "format": "binary"},
        ]
    },
    indent=2,
)


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def descriptor(i: int, rng: random.Random) -> tuple[str, str]:
    """(slug, YAML text) of synthetic model number ``i``."""
    vendor, family = rng.choice(VENDORS), rng.choice(FAMILIES)
    slug = f"{family}-{rng.choice(SIZES)}-{rng.choice(VARIANTS)}-{i:06d}"
    lora = rng.random() < 0.15
    if lora:
        slug += "-lora"
    props = [("beta", "true" if rng.random() < 0.8 else "false")]
    if lora:
        props.append(("lora", "true"))
    if rng.random() < 0.6:
        props.append(("info", f"https://huggingface.co/{vendor}/{slug}"))
    if rng.random() < 0.3:
        props.append(("terms", f"https://example.com/{vendor}/license"))
    if rng.random() < 0.2:
        props.append(("context_length_limit", str(rng.choice((2048, 4096, 8192, 32768)))))
    if rng.random() < 0.03:
        props.append(("planned_deprecation_date", f"20{rng.randint(24, 27)}-{rng.randint(1, 12):02d}-01"))
    prop_lines = "".join(f'    - property_id: "{k}"\n      value: "{v}"\n' for k, v in props)
    description = (
        f"{family.capitalize()} {slug.split('-')[1].upper()} {rng.choice(VARIANTS)} is a generative text "
        f"model from {vendor} tuned for dialogue and instructions (synthetic entry {i})."
    )
    text = (
        "model:\n"
        f'  id: "{uuid.UUID(int=rng.getrandbits(128), version=4)}"\n'
        f"  source: {rng.choice((1, 2))}\n"
        f'  name: "@cf/{vendor}/{slug}"\n'
        f"  description: {yaml_string(description)}\n"
        f"{TASK}"
        "  tags: []\n"
        "  properties:\n"
        f"{prop_lines}"
        'task_type: "text-generation"\n'
        f'model_display_name: "{slug}"\n'
        'layout: "model"\n'
        f"weight: {rng.choice((0, 0, 0, 10, 100))}\n"
        f'title: "{slug}"\n'
        "json_schema:\n"
        f"  input: {yaml_string(input_schema(lora, rng.choice((4096, 32768, 131072))))}\n"
        f"  output: {yaml_string(OUTPUT_SCHEMA)}\n"
    )
    return slug, text


def generate(n: int, models_dir: Path, seed: int = 6) -> list[Path]:
    """Write ``n`` descriptors into ``models_dir`` (created); returns their paths in order."""
    models_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        slug, text = descriptor(i, rng)
        path = models_dir / f"{slug}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("count", type=int, help="number of descriptors")
    parser.add_argument("project", type=Path, help="project directory; descriptors go to PROJECT/models")
    parser.add_argument("--seed", type=int, default=6, help="random seed (default 6)")
    args = parser.parse_args()
    generate(args.count, args.project / "models", args.seed)
    print(f"wrote {args.count} descriptors to {args.project / 'models'}")


if __name__ == "__main__":
    main()
