"""Tiny local models: reload offline, ChatML template, special tokens, determinism, assistant mask, CLI."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.tiny import build_tokenizer, corpus_texts

MESSAGES = [
    {"role": "system", "content": "You are kind."},
    {"role": "user", "content": "I failed my exam."},
    {"role": "assistant", "content": "That sounds really hard."},
    {"role": "user", "content": "It is."},
]


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


def test_reloads_offline_as_float32_qwen2_with_chatml_ids(tiny_model_dir, tokenizer):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert model.config.model_type == "qwen2"
    assert model.dtype == torch.float32
    assert (model.config.hidden_size, model.config.num_hidden_layers) == (64, 2)
    assert model.config.vocab_size == len(tokenizer)
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.eos_token_id == im_end
    assert tokenizer.pad_token == "<|endoftext|>" and tokenizer.pad_token_id == pad
    assert tokenizer.unk_token == "<|endoftext|>" and tokenizer.bos_token is None
    assert "<|im_start|>" in tokenizer.all_special_tokens
    assert model.config.eos_token_id == im_end and model.config.pad_token_id == pad
    assert model.config.bos_token_id is None
    assert model.generation_config.eos_token_id == im_end and model.generation_config.pad_token_id == pad
    ids = tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = model.generate(**ids, max_new_tokens=3, do_sample=False)
    assert out.shape[1] > ids["input_ids"].shape[1]


def test_reloaded_tokenizer_splits_text_like_the_trained_one(tokenizer):
    built = build_tokenizer("tiny")
    text = "Hello   world!! 123456 it's I'm <think>x</think>\n\n  tabs\t\tend Ünïcødé 日本語"
    assert tokenizer(text)["input_ids"] == built(text)["input_ids"]
    assert tokenizer.get_vocab() == built.get_vocab()


def test_chat_template_renders_chatml_and_generation_prompt(tokenizer):
    text = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nYou are kind.<|im_end|>\n"
        "<|im_start|>user\nI failed my exam.<|im_end|>\n"
        "<|im_start|>assistant\nThat sounds really hard.<|im_end|>\n"
        "<|im_start|>user\nIt is.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    plain = tokenizer.apply_chat_template(MESSAGES, tokenize=False)
    assert plain == text[: -len("<|im_start|>assistant\n")]


def test_think_tokens_are_single_non_special_tokens_and_round_trip(tokenizer):
    text = "<think>They feel ashamed.</think> It makes sense that you feel this way, Zoë."
    ids = tokenizer(text)["input_ids"]
    for tag in ("<think>", "</think>"):
        assert tokenizer.convert_tokens_to_ids(tag) in ids
        assert tag not in tokenizer.all_special_tokens
    assert tokenizer.decode(ids) == text
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    chatml = tokenizer("<|im_start|>user\nhi<|im_end|>")["input_ids"]
    assert tokenizer.decode(chatml, skip_special_tokens=True) == "user\nhi"


def test_generation_markers_mask_assistant_reply_and_stop_token(tokenizer):
    out = tokenizer.apply_chat_template(MESSAGES, return_assistant_tokens_mask=True, return_dict=True)
    masked = [i for i, m in zip(out["input_ids"], out["assistant_masks"]) if m]
    assert tokenizer.decode(masked) == "That sounds really hard.<|im_end|>"
    assert sum(out["assistant_masks"]) < len(out["input_ids"])


def test_two_builds_are_identical_and_the_seed_changes_weights(tiny_model_dir, tmp_path):
    runner = CliRunner()
    again, other = tmp_path / "again", tmp_path / "other"
    assert runner.invoke(app, ["tiny-model", "--out", str(again)]).exit_code == 0
    assert runner.invoke(app, ["tiny-model", "--out", str(other), "--seed", "1"]).exit_code == 0
    assert (again / "tokenizer.json").read_bytes() == (tiny_model_dir / "tokenizer.json").read_bytes()
    first, second = load_file(tiny_model_dir / "model.safetensors"), load_file(again / "model.safetensors")
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    reseeded = load_file(other / "model.safetensors")
    assert not all(torch.equal(first[k], reseeded[k]) for k in first)


def test_small_size_and_bad_size(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["tiny-model", "--out", str(tmp_path / "s"), "--size", "small"])
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "s" / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"]) == (192, 4, 6)
    assert config["num_key_value_heads"] == 2 and config["intermediate_size"] == 512
    bad = runner.invoke(app, ["tiny-model", "--out", str(tmp_path / "b"), "--size", "huge"])
    assert bad.exit_code == 2 and "unknown size 'huge'" in bad.output
    assert not (tmp_path / "b").exists()


def test_corpus_reads_data_files_in_sorted_order(tmp_path):
    (tmp_path / "personas").mkdir()
    (tmp_path / "followups").mkdir()
    persona = {"id": "p1", "name": "Quillon", "personality": {"openness": 0.5}, "dislikes": ["lectures"]}
    (tmp_path / "personas" / "bank.jsonl").write_text(json.dumps(persona) + "\nnot json at all\n")
    (tmp_path / "followups" / "a.txt").write_text("zorbleflux " * 50)
    (tmp_path / ".hidden").write_text("secret")
    texts = corpus_texts(tmp_path)
    assert texts[:5] == ["zorbleflux " * 50, "p1", "Quillon", "lectures", "not json at all"]
    assert "secret" not in texts
    trained = build_tokenizer("tiny", data_dir=tmp_path)
    assert len(trained.tokenize(" zorbleflux")) == 1
