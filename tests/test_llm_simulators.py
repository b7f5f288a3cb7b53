"""The LLM simulator backends: prompt, parser, openai against a real local server (faults, concurrency, cache),
hf on the tiny model (batching, seeded determinism, fallback)."""

from __future__ import annotations

import json
import logging

import pytest

from fake_openai_server import FakeOpenAIServer, fake_answer
from rlemp.errors import RlempError
from rlemp.personas import Persona
from rlemp.simulators import SimulatorError, build_simulator
from rlemp.simulators.base import Reaction, apply_reaction
from rlemp.simulators.llm import (FALLBACK_USER_TEXT, InvalidOutput, derive_seed, load_prompts, parse_output,
                                  rating_change, rating_messages)
from rlemp.simulators.replay import verify_transcript

SECRET = "sk-test-DO-NOT-LEAK-4242"


def persona(i: int, need: str = "deep_empathy") -> Persona:
    return Persona(
        id=f"p{i}", name=f"Mara{i}", age=30 + i, occupation="night nurse",
        scenario=f"Her manager criticised her in front of the team (case {i}).",
        background="Mara has worked night shifts for ten years and feels unseen.",
        personality=dict(openness=0.6, conscientiousness=0.8, extraversion=0.3, agreeableness=0.7, neuroticism=0.9),
        hidden_need=need, dislikes=["being told to calm down", "cliches"], talking_style="short, tired sentences",
        initial_emotion=40, first_message=f"I had the worst shift of my life today ({i}).",
    )


def openai_sim(server: FakeOpenAIServer, **overrides):
    config = dict(model="fake-model", base_url=server.base_url, cache_dir=None, backoff_s=0.001, timeout_s=5)
    return build_simulator("openai", {**config, **overrides})


def run(sim, n: int, turns: int, seed: int = 0):
    """``n`` conversations for up to ``turns`` agent replies, stepped together; returns transcripts and errors."""
    transcripts = [sim.start(persona(i), seed=seed + i, max_turns=turns) for i in range(n)]
    errors = []
    for k in range(turns):
        open_ = [t for t in transcripts if not t.done]
        results = sim.step_many(open_, [f"That sounds really hard, tell me more ({k})."] * len(open_))
        errors += [r for r in results if isinstance(r, SimulatorError)]
    return transcripts, errors


# --- prompt and parser ---------------------------------------------------------------------------------


def test_prompt_renders_persona_hidden_need_dislikes_and_conversation(tmp_path):
    sim = build_simulator("openai", {"model": "m", "cache_dir": None})
    t = sim.start(persona(1, need="sincere_praise"), seed=0)
    apply_reaction(t, Reaction("Nobody noticed.", 3, "ok"), "Tell me what happened.", "PRIVATE-THOUGHT")
    system, user = (m["content"] for m in sim.messages(t, "You stayed calm under pressure."))
    for text in ("Mara1", "31 years old", "night nurse", "feels unseen", "in front of the team (case 1)",
                 "short, tired sentences", "being told to calm down; cliches", "neuroticism 0.90 (high)",
                 load_prompts().hidden_needs["sincere_praise"], '"change"', '"goodbye"'):
        assert text in system
    assert "I had the worst shift of my life today (1)." in user
    assert "Listener: Tell me what happened.\nYou: Nobody noticed." in user
    assert "You stayed calm under pressure." in user and "43/100" in user
    assert "PRIVATE-THOUGHT" not in system + user


def test_prompt_files_are_part_of_the_config_hash(tmp_path):
    sim = build_simulator("openai", {"model": "m", "cache_dir": None})
    before = sim.config_hash
    for name, text in sim.prompt_texts().items():
        (tmp_path / name).write_text(text)
    (tmp_path / "user_turn.md").write_text(sim.prompt_texts()["user_turn.md"] + "\nBe brief.")
    sim.prompts = load_prompts(tmp_path)
    assert sim.config_hash != before
    (tmp_path / "hidden_needs.json").write_text(json.dumps({"absolution": "x"}))
    with pytest.raises(RlempError, match="hidden_needs.json: no description for critical_analysis"):
        load_prompts(tmp_path)
    (tmp_path / "user_turn.md").unlink()
    with pytest.raises(RlempError, match="user_turn.md: file not found"):
        load_prompts(tmp_path)
    (tmp_path / "user_turn.md").mkdir()
    with pytest.raises(RlempError, match="user_turn.md: is a directory, expected a prompt template file"):
        load_prompts(tmp_path)


VALID = {"analysis": "felt seen", "change": 4, "reply": "Thanks, that helps.", "goodbye": False}


@pytest.mark.parametrize("text", [
    json.dumps(VALID),
    "```json\n" + json.dumps(VALID, indent=2) + "\n```",
    "Sure, here is my reaction: " + json.dumps({**VALID, "extra": 1}) + " hope that helps",
    "<think>should I use {braces}? yes</think>\n" + json.dumps(VALID),
    '{"note": "a first object that is not the answer"} then ' + json.dumps(VALID),
])
def test_parser_accepts_valid_json_in_fences_and_prose(text):
    out = parse_output(text)
    assert (out.analysis, out.change, out.reply, out.goodbye) == ("felt seen", 4, "Thanks, that helps.", False)


@pytest.mark.parametrize("obj, problem", [
    ({**VALID, "change": 11}, "field 'change'"),
    ({**VALID, "change": -12}, "field 'change'"),
    ({**VALID, "change": 2.5}, "field 'change'"),
    ({k: v for k, v in VALID.items() if k != "reply"}, "field 'reply': missing required field"),
    ({k: v for k, v in VALID.items() if k != "goodbye"}, "field 'goodbye': missing required field"),
    ({**VALID, "reply": ""}, "field 'reply'"),
])
def test_parser_rejects_out_of_range_or_missing_fields(obj, problem):
    with pytest.raises(InvalidOutput, match=problem):
        parse_output("answer: " + json.dumps(obj))


def test_parser_without_json_and_seed_derivation():
    for text in ("I feel better now.", "{not json", "<think>{\"change\": 3}"):
        with pytest.raises(InvalidOutput, match="no JSON object"):
            parse_output(text)
    seeds = {derive_seed(s, t, a) for s in (0, 1) for t in (0, 1) for a in (0, 1)}
    assert len(seeds) == 8 and all(0 <= s < 2**31 for s in seeds)
    assert derive_seed(7, 2, 1) == derive_seed(7, 2, 1)


def test_config_errors_are_one_clear_line():
    cases = [
        ({"base_url": "http://x/v1"}, "field 'model': missing required field"),
        ({"model": "m", "base_url": "ftp://x"}, "field 'base_url'.*http://"),
        ({"model": "m", "concurrency": 0}, "field 'concurrency'"),
        ({"model": "m", "temperature": 5}, "field 'temperature'"),
        ({"model": "m", "api_key": "x"}, "field 'api_key': unknown field"),
    ]
    for config, message in cases:
        with pytest.raises(RlempError, match=f"simulator 'openai' config {message}") as info:
            build_simulator("openai", config)
        assert "\n" not in str(info.value)
    with pytest.raises(RlempError, match="field 'api_key_env': must be the name of an environment variable") as info:
        build_simulator("openai", {"model": "m", "api_key_env": SECRET})
    assert SECRET not in str(info.value)


# --- openai against a real local server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer() as s:
        yield s


def test_openai_multi_turn_conversation_follows_the_server(server):
    sim = openai_sim(server)
    before = server.stats()["completions"]
    transcripts, errors = run(sim, n=2, turns=4)
    assert not errors
    t = transcripts[0]
    first = t.model_copy(deep=True)
    first.turns, first.final_emotion, first.outcome = [], t.initial_emotion, None
    expected = fake_answer({"seed": derive_seed(t.seed, 0, 0),
                            "messages": sim.messages(first, t.turns[0].agent)})
    assert t.turns[0].delta == expected["change"] and t.turns[0].user == expected["reply"]
    assert t.turns[0].rationale == expected["analysis"]
    turns = sum(len(x.turns) for x in transcripts)
    assert turns >= 2 and all(not turn.fallback for x in transcripts for turn in x.turns)
    assert all(x.done for x in transcripts)
    assert server.stats()["completions"] - before == turns == sim.stats["requests"]


def test_openai_concurrency_overlaps_slow_requests():
    """Concurrency shows in how many requests the server had in flight at once, not in wall-clock time
    (speed is measured in benchmarks/bench_simulator.py)."""
    n, delay = 6, 0.2
    with FakeOpenAIServer("--delay", str(delay)) as slow:
        run(openai_sim(slow, concurrency=1), n=n, turns=1)
        assert slow.stats()["max_in_flight"] == 1
        transcripts, errors = run(openai_sim(slow, concurrency=n), n=n, turns=1)
        assert not errors and all(len(t.turns) == 1 for t in transcripts)
        assert 2 <= slow.stats()["max_in_flight"] <= n


@pytest.mark.parametrize("fault", ["500", "429", "timeout", "drop"])
def test_openai_transport_failure_gives_simulator_error_after_retries(fault):
    with FakeOpenAIServer("--fault-rate", "1", "--faults", fault, "--timeout-sleep", "2") as failing:
        sim = openai_sim(failing, max_retries=2, timeout_s=0.25)
        transcripts, errors = run(sim, n=3, turns=1)
        assert failing.stats()["requests"] == 9
    assert len(errors) == 3 and all("3 attempts" in str(e) for e in errors)
    assert all(t.turns == [] and not t.done for t in transcripts)
    assert (sim.stats["requests"], sim.stats["retries"], sim.stats["failures"]) == (9, 6, 3)
    assert sim.stats["fallbacks"] == 0


def test_openai_client_error_is_not_retried(server):
    sim = build_simulator("openai", {"model": "m", "base_url": server.root + "/wrong", "cache_dir": None})
    with pytest.raises(SimulatorError, match="HTTP 404"):
        sim.step(sim.start(persona(0), seed=0), "Hello.")
    assert (sim.stats["requests"], sim.stats["retries"], sim.stats["failures"]) == (1, 0, 1)


def test_openai_transient_faults_do_not_change_results(server):
    clean, _ = run(openai_sim(server), n=4, turns=3)
    with FakeOpenAIServer("--fault-rate", "0.5", "--faults", "500,429,drop", "--seed", "3") as flaky:
        sim = openai_sim(flaky, max_retries=10)
        noisy, errors = run(sim, n=4, turns=3)
        faults = sum(v for k, v in flaky.stats().items() if k.startswith("fault_"))
    assert not errors and faults > 0 and sim.stats["retries"] == faults
    def outcome(transcripts):
        return [(t.turns, t.final_emotion, t.outcome) for t in transcripts]

    assert outcome(noisy) == outcome(clean)


def test_openai_invalid_json_every_time_falls_back(caplog):
    with FakeOpenAIServer("--fault-rate", "1", "--faults", "invalid") as garbled:
        sim = openai_sim(garbled, max_retries=2)
        with caplog.at_level(logging.WARNING, logger="rlemp.simulators.llm"):
            transcripts, errors = run(sim, n=2, turns=2)
    assert not errors
    turns = [turn for t in transcripts for turn in t.turns]
    assert len(turns) == 4
    for turn in turns:
        assert turn.fallback and turn.delta == 0 and turn.user == FALLBACK_USER_TEXT
        assert turn.rationale.startswith("fallback: no valid output after 3 attempts")
        assert "not json" in turn.rationale
    assert all(t.final_emotion == t.initial_emotion and t.outcome == "max_turns" for t in transcripts)
    assert (sim.stats["fallbacks"], sim.stats["invalid"], sim.stats["retries"]) == (4, 12, 8)
    assert sum("fallback" in r.getMessage() for r in caplog.records) == 4


def test_openai_cache_replays_exactly_without_the_server_and_never_stores_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("RLEMP_TEST_KEY", SECRET)
    cache = tmp_path / "cache"
    with FakeOpenAIServer() as live:
        config = dict(api_key_env="RLEMP_TEST_KEY", cache_dir=str(cache))
        first, _ = run(openai_sim(live, **config), n=3, turns=3)
        sent = live.stats()
        assert sent["requests"] > 0 and sent["authorized"] == sent["requests"]
        again = openai_sim(live, **config)
        second, _ = run(again, n=3, turns=3)
        assert live.stats()["requests"] == sent["requests"]
        assert again.stats["cache_hits"] == sum(len(t.turns) for t in second) and again.stats["requests"] == 0
    assert [t.to_json() for t in second] == [t.to_json() for t in first]
    for index, transcript in enumerate(first):  # the server is gone: verify replays from the cache alone
        assert verify_transcript(transcript, index) is None
    stored = [p.read_text() for p in cache.rglob("*") if p.is_file()]
    assert len(stored) == sent["requests"]
    assert not any(SECRET in text for text in stored + [t.to_json() for t in first])
    tampered = first[0].model_copy(deep=True)
    tampered.turns[0].delta += 1
    assert verify_transcript(tampered).field == "delta"


# --- hf on the tiny model ----------------------------------------------------------------------------------


def hf_sim(model_dir, **overrides):
    config = dict(model=str(model_dir), max_new_tokens=8, max_retries=1, temperature=0.8)
    return build_simulator("hf", {**config, **overrides})


def count_generate_calls(sim) -> list[int]:
    """Wrap the model's real ``generate`` to record the batch size of every call."""
    sizes: list[int] = []
    generate = sim.model.generate

    def counted(*args, **kwargs):
        sizes.append(kwargs["input_ids"].shape[0])
        return generate(*args, **kwargs)

    sim.model.generate = counted
    return sizes


def test_hf_batches_retries_falls_back_and_replays_exactly(tiny_model_dir):
    sim = hf_sim(tiny_model_dir)
    sizes = count_generate_calls(sim)
    transcripts, errors = run(sim, n=3, turns=2)
    assert not errors
    assert sizes == [3, 3, 3, 3]  # 2 turns x 2 attempts, every call with all 3 conversations
    assert (sim.stats["generations"], sim.stats["invalid"], sim.stats["fallbacks"]) == (12, 12, 6)
    for t in transcripts:
        assert [turn.fallback for turn in t.turns] == [True, True] and t.final_emotion == t.initial_emotion
        assert all(turn.rationale.startswith("fallback: no valid output after 2 attempts") for turn in t.turns)
    # a fresh simulator, one conversation per generate call, samples exactly the same tokens
    one_by_one = hf_sim(tiny_model_dir, batch_size=1)
    sizes = count_generate_calls(one_by_one)
    alone, _ = run(one_by_one, n=3, turns=2)
    assert sizes == [1] * 12
    assert [t.turns for t in alone] == [t.turns for t in transcripts]
    assert verify_transcript(transcripts[2]) is None


def test_hf_seeds_greedy_decoding_and_bad_config(tiny_model_dir, tmp_path):
    sim = hf_sim(tiny_model_dir)
    a, _ = run(sim, n=2, turns=1, seed=0)
    b, _ = run(sim, n=2, turns=1, seed=100)
    assert [t.turns[0].rationale for t in a] != [t.turns[0].rationale for t in b]
    greedy = hf_sim(tiny_model_dir, temperature=0.0, max_retries=0)
    batched, _ = run(greedy, n=2, turns=1)
    greedy.config.batch_size = 1
    alone, _ = run(greedy, n=2, turns=1)
    assert [t.turns for t in alone] == [t.turns for t in batched]
    with pytest.raises(RlempError, match="simulator 'hf': cannot load model") as info:
        build_simulator("hf", {"model": str(tmp_path / "missing")})
    assert "\n" not in str(info.value)
    with pytest.raises(RlempError, match="field 'device'"):
        build_simulator("hf", {"model": str(tiny_model_dir), "device": "not-a-device"})


# --- hf constrained mode (small models that cannot write the JSON object) ----------------------------------


def test_rating_change_maps_ratings_onto_the_change_range():
    assert rating_change([0, 0, 0, 0, 1], "expectation") == 10.0
    assert rating_change([1, 0, 0, 0, 0], "expectation") == -10.0
    assert rating_change([0.2] * 5, "expectation") == 0.0
    assert rating_change([0.1, 0.1, 0.2, 0.2, 0.4], "expectation") == pytest.approx(3.5)
    assert rating_change([0.1, 0.1, 0.2, 0.2, 0.4], "argmax") == 10.0
    assert rating_change([0.3, 0.25, 0.1, 0.1, 0.25], "argmax") == -10.0
    assert rating_change([0.1, 0.4, 0.3, 0.1, 0.1], "argmax") == -5.0


def test_hf_constrained_mode_reads_the_change_from_digit_probabilities(tiny_model_dir):
    import torch

    sim = hf_sim(tiny_model_dir, mode="constrained", temperature=0.0, reply_tokens=6)
    transcripts, errors = run(sim, n=3, turns=2)
    assert not errors
    assert (sim.stats["ratings"], sim.stats["fallbacks"], sim.stats["invalid"]) == (6, 0, 0)
    assert all(len(t.turns) == 2 and t.turns[0].user for t in transcripts)
    # the first turn's change, recomputed by hand from one unpadded forward pass
    t = transcripts[1]
    fresh = sim.start(t.persona, seed=t.seed, max_turns=2)
    messages = rating_messages(sim.rating_prompts, sim.prompts.hidden_needs, fresh, t.turns[0].agent, "rating")
    text = sim.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = sim.tokenizer(text, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        logits = sim.model(**ids).logits[0, -1]
    digits = [sim.tokenizer.convert_tokens_to_ids(d) for d in "12345"]
    probs = torch.softmax(logits[digits], dim=-1).tolist()
    assert t.turns[0].delta == round(rating_change(probs, "expectation"))
    assert t.turns[0].rationale.startswith("constrained: P(rating 1-5) = " + " ".join(f"{p:.2f}" for p in probs))
    # one conversation per call gives the same transcripts; a replay verifies; the templates are in the hash
    alone = hf_sim(tiny_model_dir, mode="constrained", temperature=0.0, reply_tokens=6, batch_size=1)
    again, _ = run(alone, n=3, turns=2)
    assert [x.turns for x in again] == [x.turns for x in transcripts]
    assert verify_transcript(transcripts[2]) is None
    assert "rating_turn.md" in sim.prompt_texts()
    assert sim.config_hash != hf_sim(tiny_model_dir, temperature=0.0, reply_tokens=6).config_hash
