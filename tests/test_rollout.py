"""The batched multi-turn rollout engine on the tiny model: token streams, masks, EOS, chat-template fidelity,
length budget, one generation call per turn, thinking mode; and the same engine generating through vLLM's
interface (:class:`rlemp.vllm_policy.VLLMPolicy`, driven by a stand-in for TRL's ``VLLMGeneration``)."""

from __future__ import annotations

import json
import math
import multiprocessing
import socket
from pathlib import Path

import pytest
import torch

from fake_vllm import FakeVLLMGeneration, model_completer, run_rank, scripted_completer
from rlemp.chat import THINKING_SYSTEM_PROMPT, split_thoughts, system_prompt
from rlemp.personas import load_personas
from rlemp.rollout import Conversation, GenerationSettings, ModelPolicy, run_conversations, scripted_policy
from rlemp.simulators import build_simulator
from rlemp.simulators.replay import verify_transcript
from rlemp.vllm_policy import VLLMPolicy

PERSONAS = Path(__file__).parent / "data" / "personas_small.jsonl"
THOUGHTS = "They feel unheard."
REPLY = "That sounds really hard. What happened next?"
TALKER_PERSONAS = 4  # the openings the talker is taught on, and played with


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def random_model(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()


@pytest.fixture(scope="module")
def talker(tiny_model_dir, tokenizer):
    """The tiny model taught to answer every opening and follow-up with ``<think>THOUGHTS</think> REPLY`` and
    stop (the random model never emits EOS, and never thinks)."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    answer = tokenizer.encode(f"<think>{THOUGHTS}</think> {REPLY}<|im_end|>", add_special_tokens=False)
    examples = []
    rule = build_simulator("rule")
    for persona in load_personas(PERSONAS)[:TALKER_PERSONAS]:
        # The contexts the rollouts below will show it: the rule user's real reactions to REPLY (seed 1), after
        # earlier answers as the template renders them and as the token stream keeps them (thoughts included).
        transcript = rule.start(persona, 1, 3)
        opening = [{"role": "system", "content": THINKING_SYSTEM_PROMPT},
                   {"role": "user", "content": persona.first_message}]
        histories = {REPLY: list(opening), f"<think>{THOUGHTS}</think> {REPLY}": list(opening)}
        for turn in range(3):
            for earlier, messages in histories.items():
                if turn == 0 and earlier != REPLY:
                    continue
                prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
                examples.append((tokenizer.encode(prompt, add_special_tokens=False), answer))
            user = rule.step(transcript, REPLY).user
            for earlier, messages in histories.items():
                messages += [{"role": "assistant", "content": earlier}, {"role": "user", "content": user}]
    width = max(len(p) + len(a) for p, a in examples)
    ids = torch.tensor([p + a + [0] * (width - len(p) - len(a)) for p, a in examples])
    labels = torch.tensor([[-100] * len(p) + a + [-100] * (width - len(p) - len(a)) for p, a in examples])
    mask = torch.tensor([[1] * (len(p) + len(a)) + [0] * (width - len(p) - len(a)) for p, a in examples])
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(1000):  # until the answer is learnt (the tokenizer, hence the task, follows the data)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        if loss.item() < 0.005:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1
    return model.eval()


@pytest.fixture(scope="module")
def personas():
    return load_personas(PERSONAS)


@pytest.fixture(scope="module")
def simulator():
    return build_simulator("rule")


def play(policy, simulator, personas, **options):
    """The rollout of ``policy`` against ``personas`` and each conversation's token stream, in input order."""
    rollout = run_conversations(simulator, personas, policy, **options)
    return rollout, [c.stream for c in rollout.conversations]


def make_policy(kind: str, model, tokenizer, settings: GenerationSettings, **options):
    if kind == "model":
        return ModelPolicy(model, tokenizer, settings, **options)
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    generation = FakeVLLMGeneration(model_completer(model), max_completion_length=999, eos_token_ids=(eos,))
    return VLLMPolicy(generation, tokenizer, settings, **options)


def counting(model):
    """Count the model's real ``generate`` calls (and their batch sizes)."""
    calls, original = [], model.generate

    def generate(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        return original(*args, **kwargs)

    model.generate = generate
    return calls


def runs(stream):
    """Maximal runs of equal mask: [(mask, ids, logprobs)]."""
    out = []
    for token, lp, m in zip(stream.completion_ids, stream.logprobs, stream.env_mask, strict=True):
        if out and out[-1][0] == m:
            out[-1][1].append(token)
            out[-1][2].append(lp)
        else:
            out.append((m, [token], [lp]))
    return out


def agent_turns(stream, eos: int) -> list[tuple[list[int], bool]]:
    """Each agent turn's generated ids (without its EOS) and whether the policy chose the EOS itself."""
    ids, mask = stream.completion_ids, stream.env_mask
    turns, i = [], 0
    while i < len(ids):
        if mask[i] == 1:
            j = i
            while j < len(ids) and mask[j] == 1 and ids[j] != eos:
                j += 1
            generated_eos = j < len(ids) and mask[j] == 1
            turns.append((ids[i:j], generated_eos))
            i = j + 1 if generated_eos else j
        else:
            i += 1
    return turns


def rendered_conversation(tokenizer, transcript, stream, system: str, eos: int) -> str:
    """The chat template's rendering of the conversation the stream holds: system, opening, then each agent
    turn (the tokens the policy generated, decoded) and each user message that came before another turn."""
    messages = [{"role": "system", "content": system}, {"role": "user", "content": transcript.opening}]
    for k, (ids, _) in enumerate(agent_turns(stream, eos)):
        messages.append({"role": "assistant", "content": tokenizer.decode(ids, skip_special_tokens=False)})
        if k + 1 < len(transcript.turns):
            messages.append({"role": "user", "content": transcript.turns[k].user})
    return tokenizer.apply_chat_template(messages, tokenize=False)


def check_stream(stream, transcript, tokenizer, policy, max_new_tokens: int) -> None:
    """The invariants every stream keeps, whatever the model says."""
    eos = policy.eos_id
    ids, mask, lps = stream.completion_ids, stream.env_mask, stream.logprobs
    assert len(ids) == len(mask) == len(lps)
    assert ids[-1] == eos, "every stream ends with <|im_end|>"
    for token_lp, m in zip(lps, mask):
        assert (token_lp == 0.0) if m == 0 else (math.isfinite(token_lp) and token_lp <= 0.0)
    # Agent turns: the user saw exactly the generated text (thoughts removed); each turn ends with an EOS the
    # policy chose (mask 1) or, cut by the budget after exactly max_new_tokens tokens, a forced one (mask 0).
    turns = agent_turns(stream, eos)
    assert len(turns) == len(transcript.turns)
    for (turn_ids, chose_eos), turn in zip(turns, transcript.turns):
        assert split_thoughts(tokenizer.decode(turn_ids, skip_special_tokens=True)) == (turn.agent_thoughts, turn.agent)
        assert chose_eos or len(turn_ids) == max_new_tokens
    # Masked spans: (a forced EOS, then) the user's message in the template's framing, nothing of the policy's.
    masked = [r for r in runs(stream) if r[0] == 0]
    user_spans = [span for span in masked if tokenizer.decode(span[1], skip_special_tokens=False) != "<|im_end|>"]
    assert len(user_spans) == len(transcript.turns) - 1
    for span, turn in zip(user_spans, transcript.turns):
        text = tokenizer.decode(span[1], skip_special_tokens=False)
        assert text.removeprefix("<|im_end|>") == f"\n<|im_start|>user\n{turn.user}<|im_end|>\n<|im_start|>assistant\n"
    # Prompt and completion, decoded, are the chat template's rendering of the whole conversation.
    whole = tokenizer.decode(stream.prompt_ids + ids, skip_special_tokens=False)
    assert whole == rendered_conversation(tokenizer, transcript, stream, policy.system_prompt, eos).removesuffix("\n")
    system = [{"role": "system", "content": policy.system_prompt}, {"role": "user", "content": transcript.opening}]
    prompt = tokenizer.apply_chat_template(system, tokenize=False, add_generation_prompt=True)
    assert stream.prompt_ids == tokenizer.encode(prompt, add_special_tokens=False)


def test_a_rollout_has_one_record_per_persona_in_order_and_keeps_why_one_was_dropped(
    random_model, tokenizer, personas
):
    """The simulator fails on the second persona's first turn: its record says why, the others play on, and the
    model policy's token streams sit on the records of their own conversations."""
    from rlemp.simulators.base import SimulatorError

    simulator = build_simulator("rule")
    dropped_id = personas[1].id
    step_many = simulator.step_many

    def failing_on_one(transcripts, replies, thoughts):
        results = step_many(transcripts, replies, thoughts)
        return [SimulatorError("no answer") if t.persona_id == dropped_id else r for t, r in zip(transcripts, results)]

    simulator.step_many = failing_on_one
    policy = ModelPolicy(random_model, tokenizer, GenerationSettings(max_new_tokens=6, temperature=0.0))
    rollout = run_conversations(simulator, personas[:3], policy, seeds=0, max_turns=2)
    assert [c.transcript.persona_id for c in rollout.conversations] == [p.id for p in personas[:3]]
    assert [c.dropped for c in rollout.conversations] == [False, True, False]
    assert [str(c.error) for c in rollout.dropped] == ["no answer"]
    assert rollout.finished == [rollout.conversations[0].transcript, rollout.conversations[2].transcript]
    assert [len(c.transcript.turns) for c in rollout.conversations] == [2, 1, 2]
    for c in rollout.conversations:  # each stream holds its own conversation: one run of policy tokens per turn
        mask = c.stream.env_mask
        assert sum(1 for i, m in enumerate(mask) if m == 1 and (i == 0 or mask[i - 1] == 0)) == len(c.transcript.turns)
    assert policy.carried is None  # the cache of the ended conversations is freed
    scripted = run_conversations(build_simulator("rule"), personas[:2], scripted_policy(["I hear you."]), 0, 1)
    assert [c.stream for c in scripted.conversations] == [None, None]  # a text policy has no token stream


@pytest.mark.parametrize("kind", ["model", "vllm"])
def test_sampled_streams_keep_every_invariant_with_one_generation_call_per_turn(
    kind, random_model, tokenizer, personas, simulator
):
    settings = GenerationSettings(max_new_tokens=12, temperature=1.0)
    torch.manual_seed(0)
    policy = make_policy(kind, random_model, tokenizer, settings)
    open_counts = []
    calls = counting(random_model)
    try:
        result, streams = play(policy, simulator, personas, seeds=5, max_turns=3,
                                        on_turn=lambda turn, n_open: open_counts.append(n_open))
    finally:
        del random_model.generate
    assert not result.dropped
    for stream, transcript in zip(streams, result.transcripts):
        check_stream(stream, transcript, tokenizer, policy, settings.max_new_tokens)
        assert verify_transcript(transcript) is None
    turns = max(len(t.turns) for t in result.transcripts)
    batch_sizes = [len(personas)] + open_counts[:-1]  # conversations open at the start of each turn
    assert policy.generate_calls == turns == len(open_counts)
    if kind == "model":
        assert calls == batch_sizes  # one batched generate per turn for all open conversations
    else:
        assert [c["prompts"] for c in policy.generation.calls] == batch_sizes
        assert all(c["max_tokens"] == 12 and policy.eos_id in c["stops"] for c in policy.generation.calls)


@pytest.mark.parametrize("kind", ["model", "vllm"])
def test_thinking_streams_match_the_chat_template_token_for_token(kind, talker, tokenizer, personas, simulator):
    settings = GenerationSettings(max_new_tokens=40, temperature=0.0)
    policy = make_policy(kind, talker, tokenizer, settings, thinking=True)
    assert policy.system_prompt == system_prompt(True)
    result, streams = play(policy, simulator, personas[:TALKER_PERSONAS], seeds=1, max_turns=3)
    for stream, transcript in zip(streams, result.transcripts):
        check_stream(stream, transcript, tokenizer, policy, settings.max_new_tokens)
        # Thoughts are trained on but never reach the simulated user.
        for turn in transcript.turns:
            assert (turn.agent_thoughts, turn.agent) == (THOUGHTS, REPLY)
            assert "<think>" in tokenizer.decode(stream.completion_ids) and "think>" not in turn.agent
        assert verify_transcript(transcript) is None
        # The taught reply is canonical text, so the whole stream is the template's tokenization, and every
        # agent turn ends with the EOS the policy generated itself (mask 1).
        text = rendered_conversation(tokenizer, transcript, stream, policy.system_prompt, policy.eos_id)
        assert stream.prompt_ids + stream.completion_ids == tokenizer.encode(text, add_special_tokens=False)[:-1]
        assert all(chose for _, chose in agent_turns(stream, policy.eos_id))
        assert stream.env_mask[-1] == 1
        assert sum(stream.env_mask) == len(transcript.turns) * len(
            tokenizer.encode(f"<think>{THOUGHTS}</think> {REPLY}<|im_end|>", add_special_tokens=False)
        )


def test_vllm_policy_streams_equal_model_policy_streams(talker, tokenizer, personas, simulator):
    settings = GenerationSettings(max_new_tokens=40, temperature=0.0)
    streams = {}
    for kind in ("model", "vllm"):
        policy = make_policy(kind, talker, tokenizer, settings, thinking=True)
        _, streams[kind] = play(policy, simulator, personas[:3], seeds=2, max_turns=2)
    assert [(s.prompt_ids, s.completion_ids, s.env_mask) for s in streams["model"]] == [
        (s.prompt_ids, s.completion_ids, s.env_mask) for s in streams["vllm"]
    ]


@pytest.mark.parametrize("kind", ["model", "vllm"])
def test_length_budget_ends_conversations_that_still_verify(kind, random_model, tokenizer, personas, simulator):
    settings = GenerationSettings(max_new_tokens=24, temperature=1.0)
    budget = 160
    torch.manual_seed(1)
    policy = make_policy(kind, random_model, tokenizer, settings, max_completion_tokens=budget)
    result, streams = play(policy, simulator, personas, seeds=0, max_turns=8)
    truncated = [t for t in result.transcripts if t.meta.get("truncated") == "length"]
    assert truncated, "a 160-token budget cannot hold 8 turns of 24 tokens"
    for stream, transcript in zip(streams, result.transcripts):
        assert len(stream.completion_ids) <= budget
        check_stream(stream, transcript, tokenizer, policy, settings.max_new_tokens)
        assert verify_transcript(transcript) is None
    for transcript in truncated:
        assert transcript.max_turns == len(transcript.turns) < 8
        assert transcript.outcome in ("max_turns", "success", "failure", "goodbye")


def test_vllm_policy_sets_budget_and_sampling_only_for_its_calls(tokenizer, personas, simulator):
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    reply = tokenizer.encode(REPLY, add_special_tokens=False) + [eos]
    generation = FakeVLLMGeneration(scripted_completer(reply), max_completion_length=512, temperature=0.7,
                                    top_p=0.9, top_k=5, generation_kwargs={"seed": 3})
    settings = GenerationSettings(max_new_tokens=30, temperature=1.0, top_p=0.95, top_k=0)
    policy = VLLMPolicy(generation, tokenizer, settings)
    result, streams = play(policy, simulator, personas[:2], seeds=0, max_turns=2)
    assert [(c["max_tokens"], c["temperature"], c["top_p"], c["top_k"]) for c in generation.calls] == [
        (30, 1.0, 0.95, 0)
    ] * 2
    assert all(eos in c["stops"] for c in generation.calls)
    # The trainer's generation object is left as it was.
    assert (generation.max_completion_length, generation.temperature, generation.top_p, generation.top_k) == (
        512, 0.7, 0.9, 5
    )
    assert generation.generation_kwargs == {"seed": 3}
    for stream, transcript in zip(streams, result.transcripts):
        assert [turn.agent for turn in transcript.turns] == [REPLY, REPLY]
        assert stream.logprobs == [-0.5 if m else 0.0 for m in stream.env_mask]


def test_vllm_reply_stopping_on_another_stop_token_is_closed_with_a_masked_eos(tokenizer, personas, simulator):
    """vLLM also stops on the model's own EOS (Qwen: <|endoftext|>); the stream stays well-formed ChatML."""
    eos, other = tokenizer.convert_tokens_to_ids("<|im_end|>"), tokenizer.convert_tokens_to_ids("<|endoftext|>")
    reply = tokenizer.encode(REPLY, add_special_tokens=False) + [other, 7, 7]
    generation = FakeVLLMGeneration(scripted_completer(reply), eos_token_ids=(other,))
    policy = VLLMPolicy(generation, tokenizer, GenerationSettings(max_new_tokens=30))
    result, [stream] = play(policy, simulator, personas[:1], seeds=0, max_turns=1)
    n = len(reply) - 2
    assert stream.completion_ids == reply[:n] + [eos]
    assert stream.env_mask == [1] * n + [0]
    assert result.transcripts[0].turns[0].agent == REPLY


def test_server_mode_processes_stay_in_lockstep_until_all_conversations_end(tiny_model_dir, tmp_path):
    """Two processes (gloo on CPU) with different numbers of conversations and turns: every collective vLLM call
    gets the same number of prompts from each, and the process that finishes first keeps joining (drain)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=run_rank, args=(rank, 2, port, str(tiny_model_dir), str(PERSONAS), str(tmp_path)))
        for rank in range(2)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=240)
    hung = [p for p in processes if p.is_alive()]
    for p in hung:
        p.kill()
    assert not hung and [p.exitcode for p in processes] == [0, 0]
    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2))
    assert rank0["turns"] == [2] and rank1["turns"] == [4, 4]
    assert (rank0["generate_calls"], rank1["generate_calls"]) == (2, 4)
    # Rank 0 asked twice for its own conversation and then joined rank 1's two remaining turns; every call was
    # padded to rank 1's two conversations.
    assert rank0["vllm_calls"] == rank1["vllm_calls"] == [2, 2, 2, 2]
    for record in (rank0, rank1):
        for stream, replies in zip(record["streams"], record["replies"]):
            assert replies == [REPLY] * len(replies)
            assert stream["env_mask"][-1] == 1


# --- the KV cache carried across turns -----------------------------------------------------------------------


def staggered_simulator(personas, caps=(1, 4, 2, 3)):
    """The rule simulator with each persona's conversation capped at its own number of turns, so that
    conversations end at different turns and the batch shrinks turn by turn."""
    simulator = build_simulator("rule")
    limit = {p.id: caps[i % len(caps)] for i, p in enumerate(personas)}
    start = simulator.start
    simulator.start = lambda persona, seed, max_turns=8: start(persona, seed, min(max_turns, limit[persona.id]))
    return simulator


def recording(model):
    """Record each real ``generate`` call: (rows, tokens already in the cache passed in, input width)."""
    calls, original = [], model.generate

    def generate(*args, **kwargs):
        cache = kwargs.get("cache")
        calls.append((kwargs["input_ids"].shape[0], cache.get_seq_length() if cache is not None else 0,
                      kwargs["input_ids"].shape[1]))
        return original(*args, **kwargs)

    model.generate = generate
    return calls


def play_both_ways(model, tokenizer, personas, settings, **options):
    """(streams, transcripts, generate calls) with the carried cache and with re-encoding, same conversations."""
    played = {}
    for kv_cache in (True, False):
        policy = ModelPolicy(model, tokenizer, settings, kv_cache=kv_cache, **options)
        calls = recording(model)
        try:
            result, streams = play(policy, staggered_simulator(personas), personas, seeds=4, max_turns=4)
        finally:
            del model.generate
        assert policy.kv_cache is kv_cache and not result.dropped
        played[kv_cache] = (streams, result.transcripts, calls)
    return played[True], played[False]


def assert_same_streams(carried, re_encoded, tokenizer, policy_eos):
    for a, b in zip(carried, re_encoded, strict=True):
        assert (a.prompt_ids, a.completion_ids, a.env_mask) == (b.prompt_ids, b.completion_ids, b.env_mask)
        assert torch.allclose(torch.tensor(a.logprobs), torch.tensor(b.logprobs), rtol=0, atol=1e-4)
        assert a.completion_ids[-1] == policy_eos


@pytest.fixture(scope="module")
def babbler(tiny_model_dir, tokenizer):
    """The tiny model with larger random weights and a boosted EOS: under greedy decoding it says varied
    things and stops after a few tokens, or after many, or runs to the token limit (the random model repeats
    one token and never stops)."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 2:
                parameter.normal_(0, 0.2)
        model.lm_head.weight[tokenizer.convert_tokens_to_ids("<|im_end|>")] *= 2.2
    return model


@pytest.mark.parametrize("budget", [None, 150])
def test_carried_cache_gives_the_re_encoding_streams_token_for_token(budget, babbler, tokenizer, personas):
    """Greedy; replies that stop at different steps of the same batch (the tokens sampled after a row's EOS are
    in the cache, masked) or are cut at the token limit (a forced EOS still to encode); the length budget
    cutting some conversations short; conversations of different prompt lengths ending at different turns."""
    settings = GenerationSettings(max_new_tokens=12, temperature=0.0)
    (streams, transcripts, calls), (re_streams, re_transcripts, re_calls) = play_both_ways(
        babbler, tokenizer, personas, settings, max_completion_tokens=budget, user_token_reserve=40
    )
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert_same_streams(streams, re_streams, tokenizer, eos)
    replies = [turn for s in streams for turn in agent_turns(s, eos)]
    assert len({len(ids) for ids, chose_eos in replies if chose_eos}) >= 4
    assert any(not chose_eos for _, chose_eos in replies)
    assert len({tuple(ids) for ids, _ in replies}) > len(replies) / 2
    assert [[t.agent for t in x.turns] for x in transcripts] == [[t.agent for t in x.turns] for x in re_transcripts]
    assert len({len(s.prompt_ids) for s in streams}) > 4
    turns = [len(t.turns) for t in transcripts]
    assert len(set(turns)) >= 3
    # The same batches, shrinking as conversations end; from the second turn on, the cache passed in holds all
    # but the new tokens, which are much fewer than the whole context that re-encoding feeds.
    assert [rows for rows, _, _ in calls] == [rows for rows, _, _ in re_calls]
    assert [rows for rows, _, _ in calls] == [sum(n > k for n in turns) for k in range(max(turns))]
    assert calls[0][1] == 0 and all(cached > 0 for _, cached, _ in calls[1:])
    for (_, cached, width), (_, _, re_width) in zip(calls[1:], re_calls[1:]):
        assert width - cached <= 2 + max(len(ModelPolicy(None, tokenizer)._user_segment(t.user))
                                         for x in transcripts for t in x.turns)
        assert width - cached < re_width / 2


def test_carried_cache_gives_the_re_encoding_streams_of_a_model_that_stops(talker, tokenizer, personas):
    """The talker ends its replies with its own EOS before the token limit: the tokens sampled after it in the
    same batch are in the cache, masked."""
    settings = GenerationSettings(max_new_tokens=40, temperature=0.0)
    (streams, transcripts, _), (re_streams, _, _) = play_both_ways(
        talker, tokenizer, personas[:TALKER_PERSONAS], settings, thinking=True
    )
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert_same_streams(streams, re_streams, tokenizer, eos)
    assert len({len(t.turns) for t in transcripts}) >= 3
    assert all(chose for s in streams for _, chose in agent_turns(s, eos))


def test_streams_that_were_not_in_the_last_turn_restart_the_cache(babbler, tokenizer, personas):
    """A batch that is not the previous one (or a part of it, in order), or a conversation with nothing new
    since its last turn, is encoded from scratch."""
    settings = GenerationSettings(max_new_tokens=12, temperature=0.0)

    def play(two, kv_cache: bool):
        policy = ModelPolicy(babbler, tokenizer, settings, kv_cache=kv_cache)
        simulator = build_simulator("rule")
        pair = [Conversation(simulator.start(p, 0, 4)) for p in two]
        for batch in (pair, pair[::-1]):
            for conversation, reply in zip(batch, policy.reply(batch)):
                simulator.step(conversation.transcript, reply.text)
        policy.reply(pair)
        # a reply that ended before the other's: its EOS was fed, the cache holds its whole stream
        nothing_new = [len(s.prompt_ids) + len(s.completion_ids) == n
                       for s, n in zip(policy.carried.streams, policy.carried.cached)] if kv_cache else []
        policy.reply(pair)  # again, without a user message in between
        return [(c.stream.completion_ids, c.stream.env_mask) for c in pair], nothing_new

    # the first pair of personas with which the babbler ends one reply before the other's
    for i in range(0, len(personas) - 1, 2):
        cached, nothing_new = play(personas[i:i + 2], kv_cache=True)
        if any(nothing_new):
            break
    assert any(nothing_new), "no pair of personas made the babbler end one reply early"
    assert cached == play(personas[i:i + 2], kv_cache=False)[0]


def test_models_whose_cache_cannot_be_carried_re_encode_and_say_so_once(
    tiny_model_dir, tokenizer, personas, caplog, monkeypatch
):
    """Sliding-window layers forget positions: such a model re-encodes every turn, with one warning."""
    import logging

    from transformers import AutoModelForCausalLM

    import rlemp.rollout

    monkeypatch.setattr(rlemp.rollout, "_UNCARRIED_CACHES", set())
    model = AutoModelForCausalLM.from_pretrained(
        tiny_model_dir, use_sliding_window=True, sliding_window=32, layer_types=["sliding_attention"] * 2
    ).eval()
    settings = GenerationSettings(max_new_tokens=8, temperature=0.0)
    played = []
    with caplog.at_level(logging.WARNING, logger="rlemp.rollout"):
        for kv_cache in (True, True, False):
            policy = ModelPolicy(model, tokenizer, settings, kv_cache=kv_cache)
            _, streams = play(policy, build_simulator("rule"), personas[:3], seeds=0, max_turns=2)
            assert policy.kv_cache is False
            played.append([(s.completion_ids, s.env_mask) for s in streams])
    assert played[0] == played[1] == played[2]
    warnings = [r.getMessage() for r in caplog.records if "cannot be carried" in r.getMessage()]
    assert warnings == [
        "Qwen2ForCausalLM: the KV cache (DynamicCache of DynamicSlidingWindowLayer) cannot be carried across "
        "turns; re-encoding every turn"
    ]


def test_prefix_caching_is_read_from_a_colocated_engine_and_left_to_a_server():
    from types import SimpleNamespace

    from rlemp.vllm_policy import prefix_caching

    def colocated(enabled):
        cache_config = SimpleNamespace(enable_prefix_caching=enabled)
        engine = SimpleNamespace(vllm_config=SimpleNamespace(cache_config=cache_config))
        return SimpleNamespace(mode="colocate", llm=SimpleNamespace(llm_engine=engine))

    assert prefix_caching(colocated(True)) is True
    assert prefix_caching(colocated(False)) is False
    assert prefix_caching(SimpleNamespace(mode="server")) is None
