"""The ``remote`` backend: a running ``rlemp serve`` plays the user, so the simulator scales on its own machines.

``simulator_backend: remote`` with ``simulator_config: {url: http://sim-host:8000}`` in a recipe (or
``--backend remote`` with a config file) makes rlemp's trainers, evaluation and ``simulate`` talk to that server:
``start`` opens a conversation there (the persona is sent whole, so the server's own bank does not matter),
``step_many`` sends every open conversation's reply in one batched request. The server judges, stores and
answers each turn; this side records the same turn, so the transcript is the server's: its header names the
server's backend, version and config (not ``remote``), and ``rlemp verify`` replays it locally without the
server (for ``rule``; an ``openai`` server's request cache lives on the server).

The conversation's server id is kept in ``transcript.meta["conversation_id"]``; each reply carries its turn
number, so a request retried after a lost answer or a server restart is answered from the server's store.
"""

from __future__ import annotations

from typing import Optional, Sequence

from pydantic import Field

from rlemp.errors import RlempError
from rlemp.personas import Persona
from rlemp.simulators.base import DEFAULT_MAX_TURNS, Reaction, SimulatorConfig, SimulatorError, UserSimulator
from rlemp.transcript import Transcript


class RemoteConfig(SimulatorConfig):
    """Where the server is and how hard to try (the token is read from the environment, never stored)."""

    url: str = Field(min_length=1, description="base URL of rlemp serve, e.g. http://sim-host:8000")
    token_env: Optional[str] = Field("RLEMP_SERVE_TOKEN", description="NAME of the variable holding the token")
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(3, ge=0, le=20)
    backoff_s: float = Field(0.5, ge=0)


class RemoteSimulator(UserSimulator):
    """Client side of ``rlemp serve``; transcripts carry the server's simulator header."""

    backend = "remote"
    version = "1.0"
    config_class = RemoteConfig

    def __init__(self, config: RemoteConfig | dict | None = None):
        super().__init__(config)
        from rlemp.service.client import ServiceClient

        self.client = ServiceClient(self.config.url, token_env=self.config.token_env, timeout_s=self.config.timeout_s,
                                    max_retries=self.config.max_retries, backoff_s=self.config.backoff_s)
        self._server_config: dict | None = None

    def server_config(self, config_hash: str) -> dict:
        """The server's simulator config, fetched again if the server now runs another one."""
        if self._server_config is None or self._server_config["config_hash"] != config_hash:
            health = self.client.health().model_dump()
            if health["config_hash"] != config_hash:
                raise SimulatorError(f"{self.config.url}: the server changed its simulator while starting a conversation")
            self._server_config = health
        return self._server_config

    def start(self, persona: Persona, seed: int, max_turns: int = DEFAULT_MAX_TURNS) -> Transcript:
        self.stats["requests"] += 1
        started = self.client.start(persona, seed, max_turns)
        server = self.server_config(started.config_hash)
        return Transcript(
            persona_id=persona.id,
            backend=started.backend,
            simulator_version=started.simulator_version,
            config_hash=started.config_hash,
            simulator_config=server["simulator_config"],
            seed=seed,
            max_turns=started.max_turns,
            opening=started.opening,
            initial_emotion=started.emotion,
            persona=persona,
            final_emotion=started.emotion,
            meta={"conversation_id": started.conversation_id},
        )

    def react(self, transcript: Transcript, agent_reply: str) -> Reaction:
        result = self.react_many([transcript], [agent_reply])[0]
        if isinstance(result, SimulatorError):
            raise result
        return result

    def react_many(self, transcripts: Sequence[Transcript], replies: Sequence[str]) -> list[Reaction | SimulatorError]:
        """One batched request for every conversation; the server's turn becomes a reaction that the shared
        SAGE rules turn back into exactly that turn (the change is already clamped, the emotions agree)."""
        from rlemp.service.schemas import BatchReply, FailedTurn

        missing = [t.persona_id for t in transcripts if "conversation_id" not in t.meta]
        if missing:
            raise RlempError(f"conversation with persona {missing[0]} was not started by the remote backend")
        items = [BatchReply(conversation_id=t.meta["conversation_id"], reply=reply, turn=len(t.turns) + 1,
                            max_turns=t.max_turns) for t, reply in zip(transcripts, replies)]
        self.stats["requests"] += 1
        try:
            results = self.client.reply_many(items)
        except RlempError as exc:
            self.stats["failures"] += len(items)
            return [SimulatorError(str(exc)) for _ in items]
        reactions: list[Reaction | SimulatorError] = []
        for t, result in zip(transcripts, results):
            if isinstance(result, FailedTurn):
                self.stats["failures"] += 1
                reactions.append(SimulatorError(f"{self.config.url}: {result.error}"))
            elif result.turn != len(t.turns) + 1 or result.emotion - result.change != t.final_emotion:
                self.stats["failures"] += 1
                reactions.append(SimulatorError(f"{self.config.url}: conversation {result.conversation_id} is at "
                                                f"turn {result.turn}, emotion {result.emotion}; this side expected "
                                                f"turn {len(t.turns) + 1} from emotion {t.final_emotion}"))
            else:
                self.stats["fallbacks"] += int(result.fallback)
                reactions.append(Reaction(user=result.user, change=result.change, rationale=result.rationale,
                                          goodbye=result.outcome == "goodbye", fallback=result.fallback))
        return reactions
