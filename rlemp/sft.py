"""The SFT warm start: TRL's ``SFTTrainer`` on the supporter-reply corpus, so that a small model speaks in
replies before RL starts.

The loss covers the supporter's replies only (``assistant_only_loss``; the chat template marks them with
``{% generation %}``): a tiny model trained on both sides of the conversation starts answering in the user's
voice, and RL then has nothing sensible to choose from. The user's reactions stay in the context.
"""

from __future__ import annotations

from pathlib import Path

from rlemp.errors import RlempError


def sft_warm_start(
    model_dir: str | Path,
    corpus: str | Path,
    out_dir: str | Path,
    *,
    epochs: float = 3.0,
    learning_rate: float = 2e-3,
    batch_size: int = 16,
    max_length: int = 512,
    seed: int = 0,
    report_to: str = "none",
) -> Path:
    """Fully fine-tune ``model_dir`` on ``corpus`` (JSONL with a ``messages`` column); saves to ``out_dir``."""
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    corpus = Path(corpus)
    if not corpus.is_file():
        raise RlempError(f"{corpus}: corpus not found (build it with `rlemp build-corpus`)")
    dataset = load_dataset("json", data_files=str(corpus), split="train").select_columns(["messages"])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
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
        assistant_only_loss=True,
        activation_checkpointing=False,  # small models: recomputing costs more than the memory saved
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    trainer.train()
    out = Path(out_dir)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(out)
    return out
