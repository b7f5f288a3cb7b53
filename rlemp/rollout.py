"""Rollouts: many conversations between a policy and simulated users, advanced one turn at a time together.

Each turn, every open conversation asks the policy for a reply in one batched call, the simulator answers them
all with ``step_many``, and finished conversations drop out. :func:`run_conversations` returns one
:class:`Conversation` per persona, in input order: its transcript, the policy's token stream (model policies)
and, when the simulator failed on it (``SimulatorError``), the error that dropped it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from rlemp.personas import Persona
from rlemp.simulators.base import SimulatorError, UserSimulator
from rlemp.transcript import Transcript

logger = logging.getLogger(__name__)

# A text policy maps the open conversations to one reply each (thoughts may lead the reply, see rlemp.chat).
Policy = Callable[[Sequence[Transcript]], Sequence[str]]


@dataclass
class Conversation:
    """One conversation of a rollout: what the simulator recorded, what the policy saw, and why it was dropped."""

    transcript: Transcript
    stream: TokenStream | None = None  # the policy's tokens (a ModelPolicy's); None for text policies
    error: SimulatorError | None = None  # the simulator's failure that dropped it; None when it finished

    @property
    def dropped(self) -> bool:
        return self.error is not None


@dataclass
class Reply:
    """A policy's reply; ``last`` when the policy has no room for another turn (its token budget is spent)."""

    text: str
    last: bool = False


@dataclass
class Rollout:
    """What :func:`run_conversations` played: one record per persona, in the order of the input."""

    conversations: list[Conversation]

    @property
    def transcripts(self) -> list[Transcript]:
        return [c.transcript for c in self.conversations]

    @property
    def finished(self) -> list[Transcript]:
        """The transcripts of the conversations that were not dropped."""
        return [c.transcript for c in self.conversations if not c.dropped]

    @property
    def dropped(self) -> list[Conversation]:
        return [c for c in self.conversations if c.dropped]


def run_conversations(
    simulator: UserSimulator,
    personas: Sequence[Persona],
    policy: Policy | ModelPolicy,
    seeds: Sequence[int] | int = 0,
    max_turns: int = 8,
    on_turn: Callable[[int, int], None] | None = None,
) -> Rollout:
    """Run one conversation per persona until each ends; ``seeds`` is one seed for all or one per persona.

    ``policy`` is a text :data:`Policy` or a :class:`ModelPolicy` (which keeps each conversation's token stream
    on its record). A reply marked ``last`` ends its conversation after that turn (``max_turns`` is set to it,
    ``meta.truncated`` = ``"length"``), so that replaying the transcript ends it at the same turn.
    ``on_turn(turn, n_open)`` is called after every turn (for progress bars).
    """
    from rlemp.chat import split_thoughts

    if isinstance(seeds, int):
        seeds = [seeds] * len(personas)
    conversations = [Conversation(simulator.start(p, s, max_turns)) for p, s in zip(personas, seeds, strict=True)]
    if isinstance(policy, ModelPolicy):
        reply = policy.reply
    else:
        def reply(batch: Sequence[Conversation]) -> list[Reply]:
            return [Reply(text) for text in policy([c.transcript for c in batch])]
    open_ids = list(range(len(conversations)))
    turn = 0
    try:
        while open_ids:
            batch = [conversations[i] for i in open_ids]
            replies = reply(batch)
            for c, r in zip(batch, replies, strict=True):
                if r.last:
                    c.transcript.max_turns = len(c.transcript.turns) + 1
                    c.transcript.meta["truncated"] = "length"
            split = [split_thoughts(r.text) for r in replies]
            transcripts = [c.transcript for c in batch]
            results = simulator.step_many(transcripts, [text for _, text in split], [th for th, _ in split])
            still_open = []
            for i, result in zip(open_ids, results):
                if isinstance(result, SimulatorError):
                    logger.warning("dropping conversation with persona %s: %s",
                                   conversations[i].transcript.persona_id, result)
                    conversations[i].error = result
                elif not conversations[i].transcript.done:
                    still_open.append(i)
            open_ids = still_open
            turn += 1
            if on_turn is not None:
                on_turn(turn, len(open_ids))
    finally:
        if isinstance(policy, ModelPolicy):
            policy.carried = None  # every conversation has ended: free their cache
    return Rollout(conversations)


def scripted_policy(replies: Sequence[str]) -> Policy:
    """A policy that says ``replies[k]`` at its k-th turn, repeating the last one when the script runs out."""
    if not replies:
        raise ValueError("a script needs at least one reply")

    def policy(batch: Sequence[Transcript]) -> list[str]:
        return [replies[min(len(t.turns), len(replies) - 1)] for t in batch]

    return policy


def run_scripted(
    simulator: UserSimulator,
    personas: Sequence[Persona],
    replies: Sequence[str],
    seed: int = 0,
    max_turns: int = 8,
) -> list[Transcript]:
    """Run a scripted agent against every persona; conversations the simulator failed on are left out."""
    return run_conversations(simulator, personas, scripted_policy(replies), seed, max_turns).finished


# --- the policy model as a batched multi-turn player ----------------------------------------------------------


@dataclass
class GenerationSettings:
    """Sampling of the policy's replies (as in the recipe; ``temperature`` 0 means greedy)."""

    max_new_tokens: int = 64  # per agent turn
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0


@dataclass
class TokenStream:
    """One conversation as the policy saw it: prompt, then every turn's tokens, with a mask of the policy's own.

    ``env_mask`` is 1 on tokens the policy generated (its replies and their EOS) and 0 on tokens the
    environment inserted (the simulated user's messages and the chat-template framing around them, and an EOS
    forced at a length cut). ``logprobs`` are the sampling log-probabilities (0.0 on environment tokens).
    """

    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    turns_seen: int = 0  # user turns already appended to the stream

    def extend(self, ids: Sequence[int], logprobs: Sequence[float] | None, mask: int) -> None:
        self.completion_ids.extend(ids)
        self.logprobs.extend(logprobs if logprobs is not None else [0.0] * len(ids))
        self.env_mask.extend([mask] * len(ids))


_UNCARRIED_CACHES: set[str] = set()  # model/cache types already logged as re-encoding every turn


@dataclass
class CarriedCache:
    """The KV cache of the conversations of the last turn, kept for their next turn.

    Row ``i`` of the cache belongs to ``streams[i]``. Its positions are laid out as the turns were batched: each
    turn appended a block of the new tokens, left-padded to the longest, then the generated tokens, so a row
    has masked holes (the padding, and the tokens sampled after its EOS). ``ids`` and ``mask`` (rows x cache
    length) say which token each position holds and whether the row attends to it; ``generate`` derives the
    position ids from the mask (its cumulative sum), so every real token sits at the position it has when the
    whole stream is encoded at once. ``cached[i]`` counts the stream's tokens (prompt + completion) in the cache:
    the next turn encodes the rest.
    """

    cache: Any
    streams: list[TokenStream]
    ids: Any
    mask: Any
    cached: list[int]

    @staticmethod
    def supports(cache, length: int) -> bool:
        """Whether ``cache`` can be carried: a growing cache of plain attention layers (rows can be dropped and
        masked positions skipped) that holds ``length`` positions. Sliding windows forget positions, and
        recurrent layers would fold the padding into their state."""
        from transformers.cache_utils import DynamicLayer

        layers = getattr(cache, "layers", None)
        return (
            bool(layers)
            and hasattr(cache, "batch_select_indices")
            and all(type(layer) is DynamicLayer for layer in layers)
            and cache.get_seq_length() == length
        )

    def rows_of(self, streams: Sequence[TokenStream]) -> list[int] | None:
        """Each stream's row, or None when the streams are not a subsequence of the cached ones (in order)."""
        index = {id(s): i for i, s in enumerate(self.streams)}
        rows = [index.get(id(s)) for s in streams]
        if any(r is None for r in rows) or any(b <= a for a, b in zip(rows, rows[1:])):
            return None
        return rows

    def select(self, rows: list[int]):
        """(cache, ids, mask, cached counts) of ``rows`` only; the cache drops the other rows in place."""
        import torch

        if rows != list(range(len(self.streams))):
            index = torch.tensor(rows, device=self.ids.device)
            self.cache.batch_select_indices(index)
            return self.cache, self.ids[index], self.mask[index], [self.cached[r] for r in rows]
        return self.cache, self.ids, self.mask, self.cached


class ModelPolicy:
    """A causal LM that plays the agent in many conversations at once, one batched ``generate`` per turn.

    :func:`run_conversations` calls :meth:`reply` with the open conversations. Each conversation's
    :class:`TokenStream` lives on its record; before generating, the user's latest message is appended to it
    (rendered with the chat template's framing, masked out), so every turn is generated from exactly the tokens
    that training will see. ``max_completion_tokens`` bounds a whole conversation: a reply after which the next
    turn could not fit is marked ``last``.

    With ``kv_cache`` (the default) the conversations' KV cache is carried from one turn to the next
    (:class:`CarriedCache`), so a turn encodes only the stream tokens not yet in it; the token streams are those
    of re-encoding. Models whose cache cannot be carried (sliding-window or recurrent layers) re-encode every
    turn, logged once.
    """

    def __init__(
        self,
        model,
        tokenizer,
        settings: GenerationSettings | None = None,
        thinking: bool = False,
        max_completion_tokens: int | None = None,
        system_prompt: str | None = None,
        user_token_reserve: int = 96,
        kv_cache: bool = True,
    ):
        from rlemp.chat import system_prompt as default_system_prompt

        self.model = model
        self.tokenizer = tokenizer
        self.settings = settings or GenerationSettings()
        self.thinking = thinking
        self.max_completion_tokens = max_completion_tokens
        self.user_token_reserve = user_token_reserve  # room kept for the next user message before another turn
        self.system_prompt = system_prompt if system_prompt is not None else default_system_prompt(thinking)
        self.eos_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
        if self.eos_id is None or self.eos_id == tokenizer.unk_token_id:
            self.eos_id = tokenizer.eos_token_id
        self.generate_calls = 0
        self.kv_cache = kv_cache
        self.carried: CarriedCache | None = None

    # The chat template's framing of a user message after an agent turn: "\n<|im_start|>user\n...<|im_end|>\n
    # <|im_start|>assistant\n". It is derived from the template itself rather than hard-coded.
    def _user_segment(self, text: str) -> list[int]:
        base = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
        before = self._render(base, add_generation_prompt=False)
        after = self._render(base + [{"role": "user", "content": text}], add_generation_prompt=True)
        eos_text = self.tokenizer.convert_ids_to_tokens(self.eos_id)
        if not after.startswith(before) or eos_text not in before:
            raise ValueError("the chat template does not render conversations incrementally")
        # Everything after the agent's EOS, which is already in the stream.
        segment = after[before.rindex(eos_text) + len(eos_text):]
        return self.tokenizer.encode(segment, add_special_tokens=False)

    def _render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)

    def prompt_ids(self, transcript: Transcript) -> list[int]:
        messages = [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": transcript.opening}]
        return self.tokenizer.encode(self._render(messages, add_generation_prompt=True), add_special_tokens=False)

    def conversation_at(self, transcript: Transcript) -> Conversation:
        """A record for a conversation already under way (a branch cut mid-conversation): its stream is the
        conversation so far rendered whole with the chat template, ready for the next reply."""
        text = self._render(transcript.messages(self.system_prompt), add_generation_prompt=True)
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        return Conversation(transcript, TokenStream(ids, turns_seen=len(transcript.turns)))

    def _sync(self, conversation: Conversation) -> TokenStream:
        """The conversation's stream, with any user message not yet in it appended (masked)."""
        transcript = conversation.transcript
        if conversation.stream is None:
            conversation.stream = TokenStream(self.prompt_ids(transcript))
        stream = conversation.stream
        while stream.turns_seen < len(transcript.turns):
            stream.extend(self._user_segment(transcript.turns[stream.turns_seen].user), None, 0)
            stream.turns_seen += 1
        return stream

    def reply(self, conversations: Sequence[Conversation]) -> list[Reply]:
        """One reply per conversation, from one batched generation; the tokens go to each record's stream."""
        streams = [self._sync(c) for c in conversations]
        budget = self.settings.max_new_tokens
        if self.max_completion_tokens is not None:
            remaining = min(self.max_completion_tokens - len(s.completion_ids) for s in streams)
            budget = max(1, min(budget, remaining - 1))  # keep room for a forced EOS
        if self.kv_cache:
            generated = self._generate_carrying_cache(streams, budget)
        else:
            generated = self._generate([s.prompt_ids + s.completion_ids for s in streams], budget)
        self.generate_calls += 1
        replies = []
        for stream, (ids, lps) in zip(streams, generated, strict=True):
            if self.eos_id in ids:
                end = ids.index(self.eos_id) + 1
                stream.extend(ids[:end], lps[:end], 1)
                text_ids = ids[: end - 1]
            else:
                stream.extend(ids, lps, 1)
                stream.extend([self.eos_id], None, 0)  # length cut: the policy did not choose this EOS
                text_ids = ids
            last = self.max_completion_tokens is not None and not self._room_for_another_turn(stream)
            replies.append(Reply(self.tokenizer.decode(text_ids, skip_special_tokens=True).strip(), last))
        return replies

    def _generate(self, contexts: list[list[int]], budget: int) -> list[tuple[list[int], list[float]]]:
        """Sample up to ``budget`` new tokens after each context in one ``generate`` call: (ids, logprobs) per
        context. Ids may run on past the EOS (padding); everything after the first EOS is ignored."""
        import torch

        width = max(len(c) for c in contexts)
        input_ids = torch.tensor([[self._pad_id] * (width - len(c)) + c for c in contexts], device=self._device)
        attention = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in contexts], device=self._device)
        out = self._model_generate(input_ids, attention, None, budget)
        return self._sampled(out, width)

    def _generate_carrying_cache(self, streams: list[TokenStream], budget: int) -> list[tuple[list[int], list[float]]]:
        """:meth:`_generate` on the streams' contexts, encoding only what the carried cache lacks; keeps the
        cache of this turn for the next. Conversations that were not in the previous turn's batch (in order), or
        a conversation with nothing new since, restart it: the whole batch is encoded from scratch."""
        import torch

        carried, self.carried = self.carried, None
        rows = carried.rows_of(streams) if carried is not None else None
        cache, prefix_ids, prefix_mask, cached = None, None, None, [0] * len(streams)
        if rows is not None and all(len(s.prompt_ids) + len(s.completion_ids) > carried.cached[r]
                                    for s, r in zip(streams, rows)):
            cache, prefix_ids, prefix_mask, cached = carried.select(rows)
        pending = [(s.prompt_ids + s.completion_ids)[n:] for s, n in zip(streams, cached)]
        block = max(len(p) for p in pending)
        new_ids = torch.tensor([[self._pad_id] * (block - len(p)) + p for p in pending], device=self._device)
        new_mask = torch.tensor([[0] * (block - len(p)) + [1] * len(p) for p in pending], device=self._device)
        if prefix_ids is not None:
            new_ids, new_mask = torch.cat([prefix_ids, new_ids], dim=1), torch.cat([prefix_mask, new_mask], dim=1)
        width = new_ids.shape[1]
        out = self._model_generate(new_ids, new_mask, cache, budget)
        generated = self._sampled(out, width)
        steps = out.sequences.shape[1] - width
        if not CarriedCache.supports(out.cache, width + steps - 1):
            self._give_up_carrying(out.cache)
            return generated
        # The cache holds every token fed to the model: the input and all sampled tokens but the last. A row's
        # tokens after its EOS are padding: masked from now on.
        kept = [ids.index(self.eos_id) + 1 if self.eos_id in ids else len(ids) for ids, _ in generated]
        fed = torch.arange(steps - 1, device=self._device)
        generated_mask = (fed.unsqueeze(0) < torch.tensor(kept, device=self._device).unsqueeze(1)).to(new_mask.dtype)
        self.carried = CarriedCache(
            cache=out.cache,
            streams=list(streams),
            ids=out.sequences[:, :-1],
            mask=torch.cat([new_mask, generated_mask], dim=1),
            cached=[n + len(p) + min(k, steps - 1) for n, p, k in zip(cached, pending, kept)],
        )
        return generated

    def _give_up_carrying(self, cache) -> None:
        name = f"{type(self.model).__name__}/{type(cache).__name__}"
        if name not in _UNCARRIED_CACHES:
            _UNCARRIED_CACHES.add(name)
            layers = sorted({type(layer).__name__ for layer in getattr(cache, "layers", [])})
            logger.warning(
                "%s: the KV cache (%s%s) cannot be carried across turns; re-encoding every turn",
                type(self.model).__name__, type(cache).__name__, f" of {', '.join(layers)}" if layers else "",
            )
        self.kv_cache = False

    @property
    def _pad_id(self) -> int:
        return self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_id

    @property
    def _device(self):
        return next(self.model.parameters()).device

    def _model_generate(self, input_ids, attention, cache, budget: int):
        import torch

        greedy = self.settings.temperature <= 0
        sampling = {} if greedy else {
            "temperature": self.settings.temperature, "top_p": self.settings.top_p, "top_k": self.settings.top_k
        }
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                **({"cache": cache} if cache is not None else {}),
                max_new_tokens=budget,
                do_sample=not greedy,
                eos_token_id=self.eos_id,
                pad_token_id=self._pad_id,
                use_cache=True,  # also when training turned it off (gradient checkpointing)
                return_dict_in_generate=True,
                output_logits=True,
                synced_gpus=False,  # weights are whole here (gathered under ZeRO-3): ranks end turns independently
                **sampling,
            )
        if was_training:
            self.model.train()
        return out

    def _sampled(self, out, width: int) -> list[tuple[list[int], list[float]]]:
        """(new ids, sampling logprobs) per row of a ``generate`` output whose inputs were ``width`` wide."""
        import torch

        new_tokens = out.sequences[:, width:]
        temperature = self.settings.temperature if self.settings.temperature > 0 else 1.0
        # Step by step, the sampled token's logit minus the log-sum-exp: no (rows x steps x vocab) copy.
        token_logprobs = []
        for step_logits, tokens in zip(out.logits, new_tokens.unbind(1), strict=True):
            logits = step_logits.float() / temperature
            token_logprobs.append(logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) - logits.logsumexp(-1))
        token_logprobs = torch.stack(token_logprobs, dim=1)
        return list(zip(new_tokens.tolist(), token_logprobs.tolist()))

    def _room_for_another_turn(self, stream: TokenStream) -> bool:
        return self.max_completion_tokens - len(stream.completion_ids) > self.user_token_reserve + 8
