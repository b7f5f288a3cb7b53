"""The conversations behind the service: start, reply, fetch and verify, over one simulator and one store.

:class:`ConversationEngine` is plain synchronous code and not thread-safe; :class:`Dispatcher` runs all of it on
one worker thread. Replies that arrive while a batch is being judged wait and are then judged together in one
``step_many`` (one batched ``generate`` for the ``hf`` backend, concurrent requests for ``openai``), and their
turns are committed in one transaction before any of them is answered.

Each request is checked whole before anything is judged (unknown persona or conversation, a reply to a finished
conversation, the same conversation twice): a bad request changes nothing and gets one :class:`ServiceError`
with its HTTP status. A reply may name its ``turn``; a retry of a turn already recorded (the answer was lost,
the server restarted) is answered from the store, so a client can resend safely.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from rlemp.errors import RlempError, printable
from rlemp.personas import Persona
from rlemp.service.schemas import (ServiceError, BatchReply, FailedTurn, Health, Metrics, StartRequest, Started, TurnResult,
                                   Verified)
from rlemp.service.store import ConversationStore
from rlemp.simulators.base import MAX_REPLY_CHARS, SimulatorError, UserSimulator
from rlemp.simulators.replay import verify_transcript
from rlemp.transcript import Transcript

logger = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant")


def at(label: str, message: str) -> str:
    return f"{label}: {message}" if label else message


def turn_result(cid: str, t: Transcript, number: int) -> TurnResult:
    """Turn ``number`` (1-based) of a transcript as the service answers it."""
    turn = t.turns[number - 1]
    ended = number == len(t.turns) and t.done
    return TurnResult(conversation_id=cid, turn=number, user=turn.user, emotion=turn.emotion, change=turn.delta,
                      rationale=turn.rationale, fallback=turn.fallback, ended=ended,
                      outcome=t.outcome if ended else None)


class ConversationEngine:
    """Every conversation in ``store``; the ``max_in_memory`` most recently used open ones also in memory (the rest
    are read back from the store when a reply arrives, so a long-running server's memory stays bounded however
    many conversations clients leave open); personas looked up in ``personas``."""

    def __init__(self, simulator: UserSimulator, personas: Sequence[Persona], store: ConversationStore,
                 max_in_memory: int = 4096):
        if max_in_memory < 1:
            raise RlempError(f"max_in_memory: must be at least 1, got {max_in_memory}")
        self.sim = simulator
        self.bank = {p.id: p for p in personas}
        self.store = store
        self.max_in_memory = max_in_memory
        self.open: OrderedDict[str, Transcript] = OrderedDict()
        self.counts: Counter[str] = Counter()
        self.by_opening: dict[str, list[str]] = {}
        for p in personas:
            self.by_opening.setdefault(p.first_message.strip(), []).append(p.id)

    # --- starting ---------------------------------------------------------------------------------------------

    def start(self, requests: Sequence[StartRequest], batch: bool = False) -> list[Started]:
        label = (lambda i: f"conversations[{i}]") if batch else (lambda i: "")
        personas = [self.persona(r, label(i)) for i, r in enumerate(requests)]
        opened = []
        for i, (request, persona) in enumerate(zip(requests, personas)):
            try:
                transcript = self.sim.start(persona, request.seed, request.max_turns)
            except RlempError as exc:
                raise ServiceError(422, at(label(i), str(exc))) from None
            cid = uuid.uuid4().hex
            transcript.meta["conversation_id"] = cid
            opened.append((cid, transcript))
        try:
            self.store.save(new=opened, stepped=())
        except sqlite3.Error as exc:
            raise ServiceError(503, f"the conversation store failed ({exc}); nothing was recorded") from None
        for cid, transcript in opened:
            self.keep(cid, transcript)
        self.counts["started"] += len(opened)
        return [self.started(cid, t) for cid, t in opened]

    def keep(self, cid: str, transcript: Transcript) -> None:
        """Hold an open conversation in memory as the most recently used, dropping the least recently used beyond
        ``max_in_memory`` (they stay in the store)."""
        self.open[cid] = transcript
        self.open.move_to_end(cid)
        while len(self.open) > self.max_in_memory:
            self.open.popitem(last=False)

    def lookup(self, cid: str) -> Transcript | None:
        """The conversation from memory, else from the store (an open one read back is kept in memory)."""
        transcript = self.open.get(cid)
        if transcript is None:
            transcript = self.store.load(cid)
            if transcript is not None and not transcript.done:
                self.counts["read_back"] += 1
                self.keep(cid, transcript)
        else:
            self.open.move_to_end(cid)
        return transcript

    def persona(self, request: StartRequest, label: str) -> Persona:
        if request.persona is not None:
            return request.persona
        persona = self.bank.get(request.persona_id)
        if persona is None:
            raise ServiceError(404, at(label, f"unknown persona {request.persona_id!r} (the server has "
                                              f"{len(self.bank)} personas)"))
        return persona

    def started(self, cid: str, t: Transcript) -> Started:
        return Started(conversation_id=cid, persona_id=t.persona_id, opening=t.opening, emotion=t.initial_emotion,
                       max_turns=t.max_turns, backend=t.backend, simulator_version=t.simulator_version,
                       config_hash=t.config_hash)

    # --- replying ---------------------------------------------------------------------------------------------

    def reply(self, items: Sequence[BatchReply], batch: bool = False) -> list[TurnResult | FailedTurn]:
        result = self.reply_jobs([(items, batch)])[0]
        if isinstance(result, ServiceError):
            raise result
        return result

    def reply_jobs(
        self, jobs: Sequence[tuple[Sequence[BatchReply], bool]]
    ) -> list[list[TurnResult | FailedTurn] | ServiceError]:
        """Judge the replies of several requests together; a request that fails its checks gets its error and
        changes nothing. Returns, per request, its results in order or its error."""
        answers: list[list[Any] | ServiceError] = []
        claimed: set[str] = set()
        to_step: list[tuple[int, int, str, Transcript, BatchReply]] = []
        for j, (items, batch) in enumerate(jobs):
            try:
                checked = self.check_replies(items, batch, claimed)
            except ServiceError as exc:
                answers.append(exc)
                continue
            answers.append([None] * len(items))
            for k, entry in enumerate(checked):
                if isinstance(entry, TurnResult):
                    answers[j][k] = entry
                else:
                    cid, transcript = entry
                    claimed.add(cid)
                    to_step.append((j, k, cid, transcript, items[k]))
        if to_step:
            self.step(to_step, answers)
        return answers

    def check_replies(self, items: Sequence[BatchReply], batch: bool, claimed: set[str]) -> list[Any]:
        """Each item's recorded answer (a retry) or its (id, open transcript); raises on the first bad item."""
        seen: set[str] = set()
        checked: list[Any] = []
        for i, item in enumerate(items):
            label = f"replies[{i}]" if batch else ""
            cid = item.conversation_id
            if cid in seen:
                raise ServiceError(422, at(label, f"conversation {cid} appears twice in one request"))
            seen.add(cid)
            if cid in claimed:
                raise ServiceError(409, at(label, f"conversation {cid} has a reply being judged; send the next "
                                                  "one after its answer"))
            transcript = self.lookup(cid)
            if transcript is None:
                raise ServiceError(404, at(label, f"unknown conversation {cid!r}"))
            recorded = self.recorded(cid, transcript, item, label)
            if recorded is not None:
                checked.append(recorded)
                continue
            if transcript.done:
                raise ServiceError(409, at(label, f"conversation {cid} has ended ({transcript.outcome} after "
                                                  f"{len(transcript.turns)} turns)"))
            if transcript.config_hash != self.sim.config_hash:
                raise ServiceError(409, at(label, f"conversation {cid} was started by {transcript.backend} "
                                                  f"{transcript.simulator_version} {transcript.config_hash}; this "
                                                  f"server runs {self.sim.backend} {self.sim.version} "
                                                  f"{self.sim.config_hash} and cannot continue it"))
            if item.max_turns is not None and item.max_turns <= len(transcript.turns):
                raise ServiceError(422, at(label, f"max_turns {item.max_turns}: the conversation already has "
                                                  f"{len(transcript.turns)} turns"))
            checked.append((cid, transcript))
        return checked

    def recorded(self, cid: str, t: Transcript, item: BatchReply, label: str) -> TurnResult | None:
        """The stored answer when ``item`` resends an already recorded turn; None for a new turn."""
        next_turn = len(t.turns) + 1
        if item.turn is None or item.turn == next_turn:
            return None
        if item.turn > next_turn:
            raise ServiceError(409, at(label, f"conversation {cid}: got turn {item.turn}, expected turn {next_turn}"))
        if t.turns[item.turn - 1].agent != item.reply[:MAX_REPLY_CHARS]:
            raise ServiceError(409, at(label, f"conversation {cid}: turn {item.turn} was recorded with another reply"))
        return turn_result(cid, t, item.turn)

    def step(self, to_step: list[tuple[int, int, str, Transcript, BatchReply]], answers: list[Any]) -> None:
        """Judge, store, then answer; if the store fails, the conversations are put back as they were (memory
        and store never disagree) and the whole batch gets a 503."""
        transcripts = [t for _, _, _, t, _ in to_step]
        before = [t.max_turns for t in transcripts]
        saved = [(len(t.turns), t.final_emotion, t.outcome, t.max_turns) for t in transcripts]
        for t, (_, _, _, _, item) in zip(transcripts, to_step):
            if item.max_turns is not None:
                t.max_turns = item.max_turns
        results = self.sim.step_many(transcripts, [e[4].reply for e in to_step], [e[4].thoughts for e in to_step])
        stepped = []
        for (j, k, cid, t, _), result, max_turns in zip(to_step, results, before):
            if isinstance(result, SimulatorError):
                t.max_turns = max_turns
                self.counts["failures"] += 1
                answers[j][k] = FailedTurn(conversation_id=cid, error=printable(str(result)))
                continue
            stepped.append((cid, t, 1))
            self.counts["turns"] += 1
            self.counts["fallbacks"] += int(result.fallback)
            answers[j][k] = turn_result(cid, t, len(t.turns))
        try:
            self.store.save(new=(), stepped=stepped)
        except sqlite3.Error as exc:
            for t, (n, emotion, outcome, max_turns) in zip(transcripts, saved):
                del t.turns[n:]
                t.final_emotion, t.outcome, t.max_turns = emotion, outcome, max_turns
            self.counts["turns"] -= len(stepped)
            raise ServiceError(503, f"the conversation store failed ({exc}); nothing was recorded") from None
        for cid, t, _ in stepped:
            if t.done:
                self.open.pop(cid, None)

    # --- reading ----------------------------------------------------------------------------------------------

    def transcript(self, cid: str) -> Transcript:
        transcript = self.open.get(cid) or self.store.load(cid)  # a read does not promote it in memory
        if transcript is None:
            raise ServiceError(404, f"unknown conversation {cid!r}")
        return transcript

    def verify(self, cid: str) -> Verified:
        transcript = self.transcript(cid)
        mismatch = verify_transcript(transcript)
        return Verified(conversation_id=cid, ok=mismatch is None, turns=len(transcript.turns),
                        mismatch=None if mismatch is None else str(mismatch))

    def transcripts_jsonl(self, done: bool | None) -> str:
        return "".join(t.to_json() + "\n" for _, t in self.store.iter_transcripts(done))

    def health(self) -> Health:
        return Health(backend=self.sim.backend, simulator_version=self.sim.version, config_hash=self.sim.config_hash,
                      simulator_config=self.sim.config_dict, personas=len(self.bank))

    def metrics(self) -> Metrics:
        return Metrics(
            conversations_open=self.store.count(done=False),
            conversations_in_memory=len(self.open),
            conversations_read_back=self.counts["read_back"],
            conversations_finished=self.store.count(done=True),
            conversations_started=self.counts["started"],
            turns_served=self.counts["turns"],
            turns_stored=self.store.count_turns(),
            fallbacks=self.counts["fallbacks"],
            failures=self.counts["failures"],
            rejected=self.counts["rejected"],
            simulator=dict(self.sim.stats),
        )

    # --- RLVER's environment contract -------------------------------------------------------------------------

    def env_responses(self, messages_batched: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """RLVER's ``/get_env_response_batched``: for each conversation (chat messages ending with the agent's
        reply) the simulated user's next message, with ``emo_point`` (the emotion, 0-100, which RLVER divides by
        100 as the reward), ``done`` and the ``conversation_id`` to echo back on that message.

        A conversation is found by the ``conversation_id`` of its last user message (as this endpoint returned
        it). A new one names its persona in ``env_params`` on its first message (``persona_id``, ``seed``,
        ``max_turns``) or opens with the exact first message of one persona of the server's bank; earlier agent
        replies in it are replayed through this server's simulator before the last one is judged.
        """
        plans = [self.env_plan(i, messages) for i, messages in enumerate(messages_batched)]
        items = []
        for i, (cid, request, history, reply, turn) in enumerate(plans):
            if cid is None:
                cid = self.start([request])[0].conversation_id
                for n, earlier in enumerate(history, start=1):
                    (result,) = self.reply([BatchReply(conversation_id=cid, reply=earlier, turn=n)])
                    if isinstance(result, FailedTurn):
                        raise ServiceError(502, f"messages_batched[{i}]: replaying turn {n}: {result.error}")
                    if result.ended:
                        raise ServiceError(409, f"messages_batched[{i}]: the conversation ended at turn {n} "
                                                f"({result.outcome}); it has no turn {len(history) + 1}")
            items.append(BatchReply(conversation_id=cid, reply=reply, turn=turn))
        answers = []
        for i, result in enumerate(self.reply(items, batch=True)):
            if isinstance(result, FailedTurn):
                raise ServiceError(502, f"messages_batched[{i}]: the simulator failed: {result.error}")
            answers.append({"role": "user", "content": result.user, "emo_point": result.emotion,
                            "done": result.ended, "conversation_id": result.conversation_id,
                            "change": result.change, "rationale": result.rationale, "outcome": result.outcome})
        return answers

    def env_plan(self, i: int, messages: list[dict[str, Any]]) -> tuple[str | None, StartRequest | None, list[str], str, int]:
        """(conversation id or None, how to start it, earlier agent replies to replay, the reply to judge, its turn)."""
        label = f"messages_batched[{i}]"
        for n, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                raise ServiceError(422, f"{label}[{n}]: role must be one of {', '.join(ROLES)}")
            if not isinstance(message.get("content"), str):
                raise ServiceError(422, f"{label}[{n}]: content must be a string")
        chat = [m for m in messages if m["role"] != "system"]
        if not chat or chat[-1]["role"] != "assistant":
            raise ServiceError(422, f"{label}: the last message must be the agent's reply (role assistant)")
        replies = [m["content"] for m in chat if m["role"] == "assistant"]
        users = [m for m in chat if m["role"] == "user"]
        cid = next((m["conversation_id"] for m in reversed(users) if isinstance(m.get("conversation_id"), str)), None)
        if cid is not None:
            transcript = self.transcript(cid)
            recorded = [turn.agent for turn in transcript.turns]
            if len(replies) - 1 > len(recorded) or recorded[: len(replies) - 1] != [r[:MAX_REPLY_CHARS] for r in replies[:-1]]:
                raise ServiceError(409, f"{label}: the messages do not continue conversation {cid}")
            return cid, None, [], replies[-1], len(replies)
        params = messages[0].get("env_params")
        if params is not None:
            if not isinstance(params, dict):
                raise ServiceError(422, f"{label}[0].env_params: expected an object")
            try:
                request = StartRequest.model_validate(params)
            except ValueError as exc:
                raise ServiceError(422, f"{label}[0].env_params: {' '.join(str(exc).split())}") from None
        else:
            opening = users[0]["content"].strip() if users and chat[0]["role"] == "user" else ""
            matches = self.by_opening.get(opening, [])
            if len(matches) != 1:
                found = "no persona" if not matches else f"{len(matches)} personas"
                raise ServiceError(422, f"{label}: give env_params.persona_id on the first message; its opening "
                                        f"user message matches {found} of the server's bank")
            request = StartRequest(persona_id=matches[0])
        self.persona(request, label)
        return None, request, replies[:-1], replies[-1], len(replies)


class Dispatcher:
    """Runs the engine on one worker thread for an asyncio server. Replies submitted while a batch is being
    judged are collected and judged together in the next one."""

    def __init__(self, engine: ConversationEngine, max_batch: int = 1024):
        self.engine = engine
        self.max_batch = max_batch
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="rlemp-engine")
        self.pending: list[tuple[Sequence[BatchReply], bool, asyncio.Future]] = []
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.judge_forever())

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await asyncio.get_running_loop().run_in_executor(self.executor, self.engine.store.close)
        self.executor.shutdown(wait=True)

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def reply(self, items: Sequence[BatchReply], batch: bool) -> list[TurnResult | FailedTurn]:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((items, batch, future))
        self.wakeup.set()
        return await future

    async def judge_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            while self.pending:
                taken, size = 0, 0
                while taken < len(self.pending) and (taken == 0 or size + len(self.pending[taken][0]) <= self.max_batch):
                    size += len(self.pending[taken][0])
                    taken += 1
                jobs, self.pending = self.pending[:taken], self.pending[taken:]
                try:
                    results = await loop.run_in_executor(
                        self.executor, self.engine.reply_jobs, [(items, batch) for items, batch, _ in jobs])
                except Exception as exc:  # noqa: BLE001  (a bug: every waiting request gets it, the loop goes on)
                    logger.exception("judging a batch of replies failed")
                    results = [exc] * len(jobs)
                for (_, _, future), result in zip(jobs, results):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
