"""SFT warm starts with TRL's ``SFTTrainer`` on the supporter-reply corpus, for two different models.

``target="replies"`` (the policy): the loss covers the supporter's replies only (``assistant_only_loss``; the
chat template marks them with ``{% generation %}``). A tiny model trained on both sides of the conversation
starts answering in the user's voice, and RL then has nothing sensible to choose from. The user's reactions
stay in the context.

``target="reactions"`` (the scorer of the follow-up-likelihood reward): every user reaction of the corpus
becomes a prompt-completion example, the prompt being exactly what the FLR scorer reads before a follow-up
(:func:`rlemp.rewards.flr.followup_context`: the conversation without the system prompt, the supporter's reply
and the user header) and the completion the reaction; the loss covers the reactions only. A policy warm start
never learns how users react, so it is a poor scorer; this one learns exactly that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from rlemp.errors import InputError, RlempError, validate_line
from rlemp.files import iter_jsonl

Target = Literal["replies", "reactions"]
TARGETS: tuple[str, ...] = get_args(Target)


class CorpusMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["system", "user", "assistant"]
    content: str


class CorpusRow(BaseModel):
    """One conversation of the SFT corpus (other keys of the row are ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    messages: list[CorpusMessage] = Field(min_length=2)


def read_corpus(path: str | Path) -> list[dict]:
    """The ``{"messages": [...]}`` rows of a corpus JSONL, each checked (roles, string contents, at least one
    supporter reply that answers the user); errors name the file, line and field."""
    rows = []
    for number, obj in iter_jsonl(path):
        row = validate_line(CorpusRow, obj, path, number)
        roles = [m.role for m in row.messages]
        if "assistant" not in roles or "user" not in roles:
            raise InputError(path, number, "messages", "needs at least one user and one assistant message")
        rows.append({"messages": [m.model_dump() for m in row.messages]})
    if not rows:
        raise InputError(path, None, None, "no conversations in the corpus")
    return rows


def reaction_examples(conversations, tokenizer) -> list[dict[str, str]]:
    """``{"prompt", "completion"}`` text rows: one per user message that answers an assistant message."""
    from rlemp.rewards.flr import followup_context

    rows = []
    for messages in conversations:
        messages = [m for m in messages if m["role"] != "system"]
        for i in range(1, len(messages) - 1):
            if messages[i]["role"] == "assistant" and messages[i + 1]["role"] == "user":
                prompt = followup_context(tokenizer, messages[:i], messages[i]["content"])
                rows.append({"prompt": prompt, "completion": messages[i + 1]["content"]})
    return rows


def sft_warm_start(
    model_dir: str | Path,
    corpus: str | Path,
    out_dir: str | Path,
    *,
    target: Target = "replies",
    epochs: float = 3.0,
    learning_rate: float = 2e-3,
    batch_size: int = 16,
    max_length: int = 512,
    seed: int = 0,
    report_to: str = "none",
) -> Path:
    """Fully fine-tune ``model_dir`` on ``corpus`` (JSONL with a ``messages`` column); saves to ``out_dir``."""
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from rlemp.loading import load_model, load_tokenizer, model_source
    from rlemp.trainers.progress import use_compact_progress

    if target not in TARGETS:
        raise RlempError(f"sft target: expected one of {', '.join(TARGETS)}, got {target!r}")
    corpus = Path(corpus)
    if not corpus.exists():
        raise RlempError(f"{corpus}: corpus not found (build it with `rlemp build-corpus`)")
    dataset = Dataset.from_list(read_corpus(corpus))
    tokenizer = load_tokenizer(model_source(model_dir))
    if target == "reactions":
        examples = reaction_examples(dataset["messages"], tokenizer)
        if not examples:
            raise InputError(corpus, None, "messages", "no user message answers an assistant message, so there is "
                                                       "no reaction to train on (--target reactions needs an "
                                                       "assistant turn followed by a user turn)")
        dataset = Dataset.from_list(examples)
    model, _ = load_model(model_dir, tokenizer_from=model_dir, dtype=torch.float32)
    config = SFTConfig(
        output_dir=str(Path(out_dir) / "trainer"),
        num_train_epochs=epochs,
        learning_rate=learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=5,
        per_device_train_batch_size=batch_size,
        max_length=max_length,
        seed=seed,
        use_cpu=not torch.cuda.is_available(),
        bf16=False,
        logging_steps=5,
        save_strategy="no",
        report_to=report_to,
        assistant_only_loss=target == "replies",
        completion_only_loss=target == "reactions",
        activation_checkpointing=False,  # small models: recomputing costs more than the memory saved
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    use_compact_progress(trainer)
    trainer.train()
    out = Path(out_dir)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(out)
    return out
