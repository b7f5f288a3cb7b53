"""Tiny local models: a randomly initialised Qwen2-style causal LM with a ChatML tokenizer, built offline.

Tests and demos cannot download from the Hub, so :func:`build_tiny_model` writes a folder that loads with
``AutoModelForCausalLM`` / ``AutoTokenizer`` like any checkpoint. The same input gives byte-identical
``tokenizer.json`` and weights: the BPE is trained on :func:`corpus_texts` (so any change to a file under
``data/`` changes every tiny model, and the fixtures the tests pin), the weights are drawn after
``torch.manual_seed(seed)``. ``<think>``/``</think>`` are ordinary tokens so decoding keeps them; the chat
template marks assistant turns with ``{% generation %}`` for TRL's ``assistant_only_loss``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Literal

from rlemp.paths import DATA_DIR

Size = Literal["tiny", "small"]

ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
THINK_TOKENS = ("<think>", "</think>")

VOCAB_SIZES: dict[str, int] = {"tiny": 2048, "small": 4096}
MODEL_SIZES: dict[str, dict[str, int]] = {
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=128),
    "small": dict(hidden_size=192, num_hidden_layers=4, num_attention_heads=6, num_key_value_heads=2,
                  intermediate_size=512),
}
MAX_POSITIONS = 2048

CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}"
    "{%- generation %}{{- message['content'] + '<|im_end|>' }}{%- endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}"
    "{{- message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

BUILTIN_TEXT = """\
I had a really hard day at work. My manager criticised my report in front of everyone and I felt so embarrassed.
That sounds painful. Being called out in front of your colleagues can leave you feeling exposed and hurt.
I just want someone to listen to me for once, without telling me what I should have done.
I'm here, and I'm listening. Take your time and tell me what happened.
My sister forgot my birthday again. Maybe I'm overreacting, but it made me feel invisible.
You're not overreacting. Feeling forgotten by someone close to you hurts, and it makes sense that you're upset.
I keep thinking it was my fault that the project failed. Do you think I could have done anything differently?
It sounds like you care a lot about doing things well. Let's look at what was in your control and what wasn't.
Thank you, that actually helps. I feel a little calmer now.
I don't need advice right now. I need you to understand how lonely this feels.
Honestly, that reply felt generic. You don't really get what I'm going through.
Okay, I think I'm going to go now. Goodbye, and thanks for talking with me.
The user is anxious, tired and frustrated; they want empathy, sincere praise, practical advice or reflection.
Her emotion rose because the reply understood her hidden need; his emotion fell because the reply lectured him.
{"analysis": "The reply acknowledges the feeling and matches the hidden need.", "change": 4, "reply": "Yes, exactly. That's how it felt.", "goodbye": false}
{"analysis": "The reply ignores what the user disliked.", "change": -3, "reply": "That's not what I meant at all.", "goodbye": false}
<think>They feel ashamed and need reassurance before any advice.</think> It makes sense that you feel this way.
Name, age, occupation, background, scenario, personality, openness, conscientiousness, extraversion,
agreeableness, neuroticism, talking style, dislikes, first message, emotion, persona, conversation, turn.
The quick brown fox jumps over the lazy dog. 0 1 2 3 4 5 6 7 8 9 10 20 30 40 50 60 70 80 90 100.
"""


def _json_strings(value: object) -> Iterator[str]:
    """Every string inside a decoded JSON value, keys excluded, in document order."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def corpus_texts(data_dir: Path = DATA_DIR) -> list[str]:
    """The tokenizer's training text: every file under ``data_dir`` in sorted path order, then the built-in text.

    A ``*.jsonl`` file gives the string values of each JSON line (a line that is not JSON counts as text); other
    files are read whole; hidden files and files that are not UTF-8 are skipped. The built-in text keeps the
    build working when the folder is empty.
    """
    texts: list[str] = []
    files = sorted(p for p in data_dir.rglob("*") if p.is_file()) if data_dir.is_dir() else []
    for path in files:
        if any(part.startswith(".") for part in path.relative_to(data_dir).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if path.suffix != ".jsonl":
            texts.append(text)
            continue
        for line in text.splitlines():
            try:
                texts.extend(_json_strings(json.loads(line)))
            except json.JSONDecodeError:
                texts.append(line)
    texts.extend(BUILTIN_TEXT.splitlines())
    return [t for t in texts if t.strip()]


def build_tokenizer(size: Size = "tiny", data_dir: Path = DATA_DIR):
    """A ``PreTrainedTokenizerFast`` with a byte-level BPE trained on :func:`corpus_texts` and the ChatML template."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import AddedToken, PreTrainedTokenizerFast, Qwen2Tokenizer

    # AutoTokenizer reloads a qwen2 model folder as Qwen2Tokenizer, which rebuilds normalizer, pre-tokenizer
    # and decoder itself: train with exactly those so that the reloaded tokenizer splits text the same way.
    qwen2 = Qwen2Tokenizer().backend_tokenizer
    bpe = Tokenizer(models.BPE())
    bpe.normalizer = qwen2.normalizer
    bpe.pre_tokenizer = qwen2.pre_tokenizer
    bpe.decoder = qwen2.decoder
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZES[size],
        special_tokens=[ENDOFTEXT, IM_START, IM_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(corpus_texts(data_dir), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        unk_token=ENDOFTEXT,
        extra_special_tokens=[IM_START],
        model_max_length=MAX_POSITIONS,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_TOKENS])
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(out_dir: str | Path, size: Size = "tiny", seed: int = 0) -> Path:
    """Build a random Qwen2-style causal LM and its ChatML tokenizer into ``out_dir``; returns the folder."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    if size not in MODEL_SIZES:
        raise ValueError(f"unknown tiny model size {size!r}; choose one of {', '.join(MODEL_SIZES)}")
    out_dir = Path(out_dir)
    tokenizer = build_tokenizer(size)
    eos_id = tokenizer.convert_tokens_to_ids(IM_END)
    pad_id = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=True,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        bos_token_id=None,
        **MODEL_SIZES[size],
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config).to(torch.float32)
    model.generation_config = GenerationConfig(eos_token_id=eos_id, pad_token_id=pad_id, bos_token_id=None)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
