"""Follow-up likelihood reward (FLR): how likely a scorer LM finds it that the user answers the agent's reply
with a grateful follow-up rather than a frustrated one (mean log-probability of the positives minus that of
the negatives, shipped in ``data/followups/``).

With ``share_context`` the context's KV cache is computed once and repeated over the follow-ups, so there is no
loop over follow-ups. Batching details: ``docs/rewards.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from rlemp.chat import split_thoughts
from rlemp.errors import InputError, RlempError
from rlemp.files import check_regular_file
from rlemp.paths import FOLLOWUPS_DIR
from rlemp.rewards.inputs import check_batch, completion_text, message_text, transcripts_column, validate_options

_SENTINEL = "<<rlemp-follow-up>>"

FollowUps = Sequence[str] | str | Path | None


def read_followups(path: str | Path) -> list[str]:
    """Follow-ups from a text file: one per line; blank lines and lines starting with ``#`` are skipped."""
    path = check_regular_file(path, "follow-up text")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(path, None, None, "expected a UTF-8 text file with one follow-up per line") from None
    followups = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not followups:
        raise InputError(path, None, None, "no follow-ups in file")
    return followups


def load_followups(source: FollowUps, kind: str) -> list[str]:
    """A follow-up set: None -> the shipped ``data/followups/{kind}.txt``; a path -> that file; a list ->
    the list itself."""
    if source is None:
        return read_followups(FOLLOWUPS_DIR / f"{kind}.txt")
    if isinstance(source, (str, Path)):
        return read_followups(source)
    followups = [f.strip() if isinstance(f, str) else f for f in source]
    if not followups or not all(isinstance(f, str) and f for f in followups):
        raise RlempError(f"flr {kind} follow-ups: expected a non-empty list of non-empty strings")
    return followups


class FlrOptions(BaseModel):
    """Options of the registered ``flr`` reward (``model`` names a folder to load the scorer from)."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    positives: list[str] | str | None = None
    negatives: list[str] | str | None = None
    batch_size: int = Field(64, ge=1)
    max_context_tokens: int = Field(1024, ge=1)
    system: str | None = None
    share_context: bool = True


def load_scorer(model_dir: str | Path):
    """``(model, tokenizer)`` from a local model folder."""
    from rlemp.loading import load_model

    return load_model(model_dir, what="scorer model")


def followup_context(tokenizer, messages: Sequence[Mapping[str, Any]], reply: str, system: str | None = None) -> str:
    """The text a scorer reads before a follow-up: the chat-templated conversation (``system`` first unless it
    has a system message), the reply as assistant message and the header of the user's next message."""
    if not all(isinstance(m, Mapping) and "role" in m and "content" in m for m in messages):
        raise RlempError("flr: every context message needs a 'role' and a 'content'")
    msgs = [{"role": m["role"], "content": message_text(m["content"])} for m in messages]
    if system and not (msgs and msgs[0]["role"] == "system"):
        msgs.insert(0, {"role": "system", "content": system})
    msgs += [{"role": "assistant", "content": reply}, {"role": "user", "content": _SENTINEL}]
    text = tokenizer.apply_chat_template(msgs, tokenize=False)
    if _SENTINEL not in text:
        raise RlempError("flr: the scorer's chat template dropped the user's message")
    return text[: text.rindex(_SENTINEL)]


def token_logprobs(logits, targets):
    """``log softmax(logits)[target]`` per position, in float32, without materialising the full log-softmax."""
    import torch

    logits = logits.float()
    return logits.gather(-1, targets[..., None]).squeeze(-1) - torch.logsumexp(logits, dim=-1)


class FollowUpLikelihood:
    """The FLR reward function; also ``score(contexts_messages, replies)`` and per-follow-up
    ``followup_scores`` for direct use."""

    def __init__(
        self,
        model,
        tokenizer,
        positives: FollowUps = None,
        negatives: FollowUps = None,
        batch_size: int = 64,
        max_context_tokens: int = 1024,
        system: str | None = None,
        share_context: bool = True,
    ):
        if getattr(tokenizer, "chat_template", None) is None:
            raise RlempError("flr: the scorer's tokenizer has no chat template")
        if batch_size < 1 or max_context_tokens < 1:
            raise RlempError("flr: batch_size and max_context_tokens must be at least 1")
        self.__name__ = "flr"
        self.model, self.tokenizer = model, tokenizer
        self.positives = load_followups(positives, "positive")
        self.negatives = load_followups(negatives, "negative")
        self.batch_size, self.max_context_tokens = batch_size, max_context_tokens
        self.system, self.share_context = system, share_context
        self.followup_ids = [self._encode(text) for text in self.positives + self.negatives]
        for text, ids in zip(self.positives + self.negatives, self.followup_ids):
            if not ids:
                raise RlempError(f"flr: follow-up {text!r} has no tokens")
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.pad_id = pad if pad is not None else 0

    @classmethod
    def from_options(cls, options: Mapping[str, Any], scorer_model=None, tokenizer=None) -> "FollowUpLikelihood":
        """Build from registry options; the scorer is ``options["model"]`` (a folder) or the given model."""
        opts = validate_options("flr", FlrOptions, options).model_dump()
        model_dir = opts.pop("model")
        if model_dir is not None:
            scorer_model, tokenizer = load_scorer(model_dir)
        if scorer_model is None or tokenizer is None:
            raise RlempError("reward 'flr' needs a scorer model: give --model DIR, the option 'model', "
                             "or a scorer model and tokenizer")
        return cls(scorer_model, tokenizer, **opts)

    # --- tokenization ---------------------------------------------------------------------------------------

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def context_ids(self, messages: Sequence[Mapping[str, Any]], reply: str) -> list[int]:
        """Tokens of :func:`followup_context`, keeping the last ``max_context_tokens``."""
        text = followup_context(self.tokenizer, messages, reply, self.system)
        return self._encode(text)[-self.max_context_tokens:]

    # --- scoring --------------------------------------------------------------------------------------------

    def followup_scores(self, contexts: Sequence[Sequence[int]]):
        """Mean token log-probability of every follow-up after every context: a ``(len(contexts), F)`` float
        tensor, positives first, in the order of ``self.positives + self.negatives``."""
        import torch

        if not contexts:
            return torch.zeros(0, len(self.followup_ids))
        model = self.model
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                if self.share_context:
                    per_group = max(1, self.batch_size // len(self.followup_ids))
                    parts = [self._score_shared(contexts[i:i + per_group]) for i in range(0, len(contexts), per_group)]
                    return torch.cat(parts)
                pairs = [(c, f) for c in range(len(contexts)) for f in range(len(self.followup_ids))]
                scores = torch.cat([
                    self._score_flat(contexts, pairs[i:i + self.batch_size])
                    for i in range(0, len(pairs), self.batch_size)
                ])
                return scores.view(len(contexts), len(self.followup_ids))
        finally:
            model.train(was_training)

    def _padded(self, sequences: Sequence[Sequence[int]]):
        """Right-padded ids, attention mask and lengths."""
        import torch

        lengths = torch.tensor([len(s) for s in sequences])
        ids = torch.full((len(sequences), int(lengths.max())), self.pad_id, dtype=torch.long)
        for row, seq in enumerate(sequences):
            ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).long()
        device = self.model.device
        return ids.to(device), mask.to(device), lengths.to(device)

    def _score_shared(self, contexts: Sequence[Sequence[int]]):
        """One forward over the contexts, then one over all follow-ups against the repeated KV cache."""
        import torch

        n_follow = len(self.followup_ids)
        ctx, ctx_mask, ctx_len = self._padded(contexts)
        out = self.model(input_ids=ctx, attention_mask=ctx_mask, use_cache=True,
                         logits_to_keep=(ctx_len - 1)[:, None])
        first_logits = out.logits[:, 0].float()  # (S, V): predicts each follow-up's first token
        cache = out.past_key_values
        cache.batch_repeat_interleave(n_follow)
        fol, fol_mask, fol_len = self._padded(self.followup_ids)
        groups = len(contexts)
        fol, fol_mask = fol.repeat(groups, 1), fol_mask.repeat(groups, 1)
        positions = ctx_len.repeat_interleave(n_follow)[:, None] + torch.arange(fol.shape[1], device=fol.device)
        mask = torch.cat([ctx_mask.repeat_interleave(n_follow, 0), fol_mask], dim=1)
        out = self.model(input_ids=fol, attention_mask=mask, position_ids=positions, past_key_values=cache, use_cache=True)
        first = token_logprobs(first_logits.repeat_interleave(n_follow, 0)[:, None], fol[:, :1]).squeeze(1)
        rest = token_logprobs(out.logits[:, :-1], fol[:, 1:])
        total = first + (rest * fol_mask[:, 1:]).sum(1)
        return (total / fol_len.repeat(groups)).view(groups, n_follow).cpu()

    def _score_flat(self, contexts: Sequence[Sequence[int]], pairs: Sequence[tuple[int, int]]):
        """One forward over padded ``context + follow-up`` rows, logits kept only where follow-up tokens are
        predicted."""
        import torch

        seqs = [list(contexts[c]) + self.followup_ids[f] for c, f in pairs]
        ids, mask, seq_len = self._padded(seqs)
        ctx_len = torch.tensor([len(contexts[c]) for c, _ in pairs], device=ids.device)
        fol_len = seq_len - ctx_len
        steps = torch.arange(int(fol_len.max()), device=ids.device)[None, :]
        keep = (ctx_len[:, None] - 1 + steps).clamp(max=ids.shape[1] - 1)  # position t predicts token t + 1
        out = self.model(input_ids=ids, attention_mask=mask, logits_to_keep=keep)
        targets = ids.gather(1, (keep + 1).clamp(max=ids.shape[1] - 1))
        logp = token_logprobs(out.logits, targets)
        valid = steps < fol_len[:, None]
        return ((logp * valid).sum(1) / fol_len).cpu()

    def score(self, contexts_messages: Sequence[Sequence[Mapping[str, Any]]], replies: Sequence[str]) -> list[float]:
        """FLR of each reply after its conversation (chat messages before the reply): mean positive score
        minus mean negative score."""
        if len(contexts_messages) != len(replies):
            raise RlempError(f"flr: {len(contexts_messages)} contexts but {len(replies)} replies")
        scores = self.followup_scores([self.context_ids(m, r) for m, r in zip(contexts_messages, replies)])
        n_pos = len(self.positives)
        return (scores[:, :n_pos].mean(1) - scores[:, n_pos:].mean(1)).tolist()

    # --- reward function ------------------------------------------------------------------------------------

    def __call__(self, prompts: Sequence[Any] | None, completions: Sequence[Any], **columns: Any) -> list[float]:
        n = check_batch(prompts, completions)
        contexts, replies, owner = [], [], []
        for i, (completion, transcript) in enumerate(zip(completions, transcripts_column(columns, n))):
            if transcript is not None and transcript.turns:
                messages = transcript.messages()
                for t, turn in enumerate(transcript.turns):
                    contexts.append(messages[: 1 + 2 * t])
                    replies.append(turn.agent)
                    owner.append(i)
                continue
            if prompts is None:
                raise RlempError("flr needs the prompts or a transcript for every completion")
            prompt = prompts[i]
            contexts.append([{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt))
            replies.append(split_thoughts(completion_text(completion))[1])
            owner.append(i)
        values = self.score(contexts, replies)
        totals, counts = [0.0] * n, [0] * n
        for i, value in zip(owner, values):
            totals[i] += value
            counts[i] += 1
        return [total / count for total, count in zip(totals, counts)]
