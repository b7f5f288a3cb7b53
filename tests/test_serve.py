"""``rlemp serve`` as a real process on loopback, driven over real HTTP (httpx): full conversations that match
the in-process simulator turn by turn, batched calls, bad requests, tokens, RLVER's environment contract,
restart after SIGKILL with every answered turn kept and replayable, 200 concurrent conversations, and the
``remote`` simulator backend inside ``rlemp simulate``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time

import httpx
import pytest
from serve_helpers import EMPATHIC, REPO, RlempServer

from rlemp.errors import RlempError
from rlemp.paths import EVAL_PERSONAS
from rlemp.personas import load_personas
from rlemp.service.client import ServiceClient
from rlemp.service.schemas import ServiceError
from rlemp.simulators import build_simulator
from rlemp.simulators.replay import verify_transcripts
from rlemp.transcript import Transcript, read_transcripts

PERSONAS = load_personas(EVAL_PERSONAS)
SCRIPTS = {name: json.loads((REPO / "tests" / "data" / "scripts" / f"{name}.json").read_text(encoding="utf-8"))
           for name in ("empathic", "dismissive", "off_topic", "manipulative")}


def script_for(i: int) -> list[str]:
    return list(SCRIPTS.values())[i % len(SCRIPTS)]


def reply_at(script: list[str], turn: int) -> str:
    return script[min(turn, len(script) - 1)]


def expected(persona_index: int, seed: int, max_turns: int, script: list[str]) -> Transcript:
    """The same conversation played in-process with the rule simulator."""
    sim = build_simulator("rule")
    t = sim.start(PERSONAS[persona_index], seed, max_turns)
    while not t.done:
        sim.step(t, reply_at(script, len(t.turns)))
    return t


def same_scores(served: Transcript, local: Transcript) -> None:
    assert [(u.agent, u.user, u.emotion, u.delta, u.rationale) for u in served.turns] == \
           [(u.agent, u.user, u.emotion, u.delta, u.rationale) for u in local.turns]
    assert (served.final_emotion, served.outcome, served.config_hash) == (local.final_emotion, local.outcome,
                                                                         local.config_hash)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with RlempServer(tmp_path_factory.mktemp("store")) as running:
        yield running


@pytest.fixture()
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def play(http: httpx.Client, persona_index: int, seed: int, max_turns: int, script: list[str]) -> str:
    started = http.post("/v1/conversations", json={"persona_id": PERSONAS[persona_index].id, "seed": seed,
                                                   "max_turns": max_turns})
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["opening"] == PERSONAS[persona_index].first_message
    assert body["emotion"] == PERSONAS[persona_index].initial_emotion
    cid, turn, ended = body["conversation_id"], 0, False
    while not ended:
        answer = http.post(f"/v1/conversations/{cid}/reply", json={"reply": reply_at(script, turn)})
        assert answer.status_code == 200, answer.text
        turn += 1
        result = answer.json()
        assert result["turn"] == turn
        ended = result["ended"]
    assert result["outcome"] in ("success", "failure", "goodbye", "max_turns")
    return cid


def test_full_conversations_match_the_in_process_simulator_and_verify(http, tmp_path):
    cases = [(0, 0, 8, SCRIPTS["empathic"]), (1, 3, 5, SCRIPTS["dismissive"]), (2, 7, 6, SCRIPTS["off_topic"]),
             (3, 1, 4, SCRIPTS["manipulative"])]
    ids = [play(http, *case) for case in cases]
    served = [Transcript.model_validate(http.get(f"/v1/conversations/{cid}").json()) for cid in ids]
    for t, cid, case in zip(served, ids, cases):
        same_scores(t, expected(*case))
        assert t.meta == {"conversation_id": cid}
        assert http.get(f"/v1/conversations/{cid}/verify").json() == {
            "conversation_id": cid, "ok": True, "turns": len(t.turns), "mismatch": None}
    # the export is an ordinary transcripts file: rlemp verify replays it without the server
    path = tmp_path / "served.jsonl"
    path.write_text(http.get("/v1/transcripts", params={"status": "finished"}).text, encoding="utf-8")
    exported = {t.meta["conversation_id"]: t for t in read_transcripts(path)}
    assert set(ids) <= set(exported)
    assert verify_transcripts(exported.values()) is None
    done = subprocess.run([sys.executable, "-m", "rlemp.cli", "verify", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_batched_start_and_replies(http):
    starts = [{"persona_id": PERSONAS[i].id, "seed": i, "max_turns": 3 + i % 3} for i in range(8)]
    opened = http.post("/v1/conversations/batch", json={"conversations": starts}).json()["conversations"]
    assert [c["persona_id"] for c in opened] == [s["persona_id"] for s in starts]
    open_ids = {c["conversation_id"]: i for i, c in enumerate(opened)}
    turns = {cid: 0 for cid in open_ids}
    while open_ids:
        items = [{"conversation_id": cid, "reply": reply_at(script_for(i), turns[cid]), "turn": turns[cid] + 1}
                 for cid, i in open_ids.items()]
        answer = http.post("/v1/replies/batch", json={"replies": items})
        assert answer.status_code == 200, answer.text
        results = answer.json()["turns"]
        assert [r["conversation_id"] for r in results] == [item["conversation_id"] for item in items]
        for r in results:
            turns[r["conversation_id"]] += 1
            if r["ended"]:
                del open_ids[r["conversation_id"]]
    for c, s in zip(opened, starts):
        i = PERSONAS.index(next(p for p in PERSONAS if p.id == s["persona_id"]))
        served = Transcript.model_validate(http.get(f"/v1/conversations/{c['conversation_id']}").json())
        same_scores(served, expected(i, s["seed"], s["max_turns"], script_for(i)))


def test_a_resent_turn_is_answered_from_the_store_not_judged_again(http):
    cid = http.post("/v1/conversations", json={"persona_id": PERSONAS[5].id, "max_turns": 3}).json()["conversation_id"]
    first = http.post(f"/v1/conversations/{cid}/reply", json={"reply": EMPATHIC[0], "turn": 1}).json()
    again = http.post(f"/v1/conversations/{cid}/reply", json={"reply": EMPATHIC[0], "turn": 1})
    assert again.status_code == 200 and again.json() == first
    served = Transcript.model_validate(http.get(f"/v1/conversations/{cid}").json())
    assert len(served.turns) == 1
    other = http.post(f"/v1/conversations/{cid}/reply", json={"reply": "something else", "turn": 1})
    assert other.status_code == 409 and "recorded with another reply" in other.json()["error"]


def test_a_reply_can_end_the_conversation_earlier(http):
    """What the remote backend sends when the trainer's token budget ends a conversation: max_turns lowered."""
    cid = http.post("/v1/conversations", json={"persona_id": PERSONAS[9].id, "max_turns": 8}).json()["conversation_id"]
    http.post(f"/v1/conversations/{cid}/reply", json={"reply": EMPATHIC[0]})
    too_low = http.post(f"/v1/conversations/{cid}/reply", json={"reply": EMPATHIC[1], "max_turns": 1})
    assert too_low.status_code == 422 and "already has 1 turns" in too_low.json()["error"]
    last = http.post(f"/v1/conversations/{cid}/reply", json={"reply": EMPATHIC[1], "max_turns": 2}).json()
    assert last["ended"] and last["turn"] == 2
    served = Transcript.model_validate(http.get(f"/v1/conversations/{cid}").json())
    assert served.max_turns == 2 and served.outcome in ("max_turns", "success", "failure", "goodbye")
    assert http.get(f"/v1/conversations/{cid}/verify").json()["ok"] is True


def test_bad_requests_get_a_4xx_with_a_one_line_reason(server, http):
    cid = play(http, 4, 0, 1, SCRIPTS["empathic"])  # a finished conversation
    live = http.post("/v1/conversations", json={"persona_id": PERSONAS[6].id}).json()["conversation_id"]
    before = http.get("/metrics").json()["rejected"]
    post = lambda path, content, **kw: http.post(path, content=content, **kw)  # noqa: E731
    cases = [
        (post("/v1/conversations", json.dumps({"persona_id": "nobody"})), 404, "unknown persona 'nobody'"),
        (post(f"/v1/conversations/{cid}/reply", json.dumps({"reply": "hello"})), 409, "has ended"),
        (post(f"/v1/conversations/{live}/reply", b'{"reply": "caf\xe9"}'), 400, "not UTF-8: byte 0xe9 at offset 14"),
        (post(f"/v1/conversations/{live}/reply", b'{"reply": "ok"'), 400, "malformed JSON"),
        (post(f"/v1/conversations/{live}/reply", b""), 400, "empty request body"),
        (post(f"/v1/conversations/{live}/reply", b"x" * (4 * 1024 * 1024 + 1)), 413, "request body of 4194305 bytes"),
        (post(f"/v1/conversations/{live}/reply", json.dumps({"reply": "hi", "mood": 3})), 422, "mood: unknown field"),
        (post(f"/v1/conversations/{live}/reply", json.dumps({"reply": 5})), 422, "reply: Input should be a valid string"),
        (post(f"/v1/conversations/{live}/reply", json.dumps({"reply": "hi", "turn": 4})), 409, "expected turn 1"),
        (post("/v1/conversations/nope/reply", json.dumps({"reply": "hi"})), 404, "unknown conversation 'nope'"),
        (post("/v1/conversations", json.dumps({"seed": 1})), 422, "exactly one of persona_id and persona"),
        (post("/v1/conversations", json.dumps({"persona_id": PERSONAS[0].id, "seed": -1})), 422, "seed"),
        (post("/v1/conversations", json.dumps([1, 2])), 422, "valid dictionary"),
        (post("/v1/replies/batch", json.dumps({"replies": [{"conversation_id": live, "reply": "a"},
                                                           {"conversation_id": live, "reply": "b"}]})),
         422, "replies[1]: conversation"),
        (post("/v1/conversations/batch", json.dumps({"conversations": [{"persona_id": PERSONAS[0].id},
                                                                       {"persona_id": "ghost"}]})),
         404, "conversations[1]: unknown persona 'ghost'"),
        (http.get("/v1/conversations/nope"), 404, "unknown conversation"),
        (http.get("/no/such/path"), 404, "Not Found"),
    ]
    for response, status, reason in cases:
        assert response.status_code == status, (reason, response.text)
        error = response.json()["error"]
        assert reason in error and "\n" not in error, (reason, error)
    # nothing was changed by the refused requests: the batch with a ghost opened no conversation, the live one
    # has no turn, and the server is still up
    assert http.get(f"/v1/conversations/{live}").json().get("turns", []) == []
    metrics = http.get("/metrics").json()
    assert metrics["rejected"] - before == len(cases)
    assert http.get("/health").json()["status"] == "ok"
    assert server.process.poll() is None


def test_the_openapi_page_lists_every_endpoint(http):
    assert http.get("/docs").status_code == 200
    paths = set(http.get("/openapi.json").json()["paths"])
    assert {"/v1/conversations", "/v1/conversations/batch", "/v1/conversations/{conversation_id}/reply",
            "/v1/replies/batch", "/v1/conversations/{conversation_id}", "/v1/conversations/{conversation_id}/verify",
            "/v1/transcripts", "/health", "/metrics", "/get_env_response_batched"} <= paths


def test_rlver_environment_contract(http):
    """RLVER's URLEnvironment posts every conversation so far; each answer is the user's next message with
    emo_point (reward x 100) and done; echoing the message back continues the same conversation."""
    system = {"role": "system", "content": "You are a supportive listener."}
    by_params = [system | {"env_params": {"persona_id": PERSONAS[7].id, "seed": 2, "max_turns": 3}},
                 {"role": "user", "content": PERSONAS[7].first_message}]
    by_opening = [{"role": "user", "content": PERSONAS[8].first_message}]
    conversations = [by_params, by_opening]
    local = [(7, 2, 3), (8, 0, 8)]
    for turn in range(3):
        for messages in conversations:
            messages.append({"role": "assistant", "content": EMPATHIC[turn]})
        answer = http.post("/get_env_response_batched", json={"messages_batched": conversations})
        assert answer.status_code == 200, answer.text
        for messages, message, (i, seed, max_turns) in zip(conversations, answer.json(), local):
            reference = expected(i, seed, max_turns, EMPATHIC)
            assert message["role"] == "user"
            assert message["content"] == reference.turns[turn].user
            assert message["emo_point"] == reference.turns[turn].emotion
            assert message["done"] == (turn + 1 == len(reference.turns))
            messages.append(message)
    # a history without the echoed id is replayed: the same third turn as the conversation played step by step
    fresh = [{k: v for k, v in m.items() if k in ("role", "content")} for m in by_opening]
    again = http.post("/get_env_response_batched", json={"messages_batched": [fresh[:-1]]}).json()[0]
    assert again["emo_point"] == by_opening[-1]["emo_point"] and again["conversation_id"] != by_opening[-1]["conversation_id"]
    # the finished conversation refuses another turn; a history ending with the user is malformed
    finished = by_params + [{"role": "assistant", "content": "and then?"}]
    refused = http.post("/get_env_response_batched", json={"messages_batched": [finished]})
    assert refused.status_code == 409 and "has ended" in refused.json()["error"]
    unknown = http.post("/get_env_response_batched", json={"messages_batched": [[{"role": "user", "content": "hi"},
                                                                                 {"role": "assistant", "content": "hey"}]]})
    assert unknown.status_code == 422 and "matches no persona" in unknown.json()["error"]
    bad = http.post("/get_env_response_batched", json={"messages_batched": [by_opening[:3]]})
    assert bad.status_code == 422 and "last message must be the agent's reply" in bad.json()["error"]


def test_a_killed_server_loses_no_answered_turn_and_a_restart_continues(tmp_path):
    """SIGKILL in the middle of 8 conversations played from 4 threads; every turn a client was answered is in
    the store of the restarted server, every stored conversation replays, and the open ones play on to the end
    (a turn sent again is answered from the store), matching the in-process simulator."""
    store = tmp_path / "store"
    answered: dict[str, list[dict]] = {}
    plan: dict[str, tuple[int, int, int]] = {}
    lock = threading.Lock()
    server = RlempServer(store)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        opened = http.post("/v1/conversations/batch", json={"conversations": [
            {"persona_id": PERSONAS[i].id, "seed": i, "max_turns": 8} for i in range(8)]}).json()["conversations"]
    for i, c in enumerate(opened):
        plan[c["conversation_id"]] = (i, i, 8)
        answered[c["conversation_id"]] = []

    def client(ids: list[str]) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            try:
                for cid in ids:
                    for turn in range(1, 9):
                        body = {"reply": reply_at(SCRIPTS["empathic"], turn - 1), "turn": turn}
                        result = http.post(f"/v1/conversations/{cid}/reply", json=body).json()
                        with lock:
                            answered[cid].append(result)
                        if result["ended"]:
                            break
            except httpx.TransportError:
                return  # the server was killed

    threads = [threading.Thread(target=client, args=(list(plan)[k::4],)) for k in range(4)]
    for thread in threads:
        thread.start()
    while sum(map(len, answered.values())) < 10:
        time.sleep(0.01)
    server.kill()
    for thread in threads:
        thread.join()
    assert sum(map(len, answered.values())) >= 10

    with RlempServer(store) as restarted, httpx.Client(base_url=restarted.url, timeout=60) as http:
        for cid, results in answered.items():
            served = Transcript.model_validate(http.get(f"/v1/conversations/{cid}").json())
            assert len(served.turns) >= len(results)
            assert [(t.user, t.emotion) for t in served.turns[:len(results)]] == [(r["user"], r["emotion"]) for r in results]
        metrics = http.get("/metrics").json()
        assert metrics["conversations_open"] + metrics["conversations_finished"] == 8
        assert metrics["conversations_open"] > 0  # killed mid-run
        assert metrics["turns_stored"] >= sum(map(len, answered.values()))
        # continue every open conversation from the last turn its client heard of (resending a stored one)
        for cid, results in answered.items():
            turn = len(results)
            served = Transcript.model_validate(http.get(f"/v1/conversations/{cid}").json())
            while not served.done:
                turn += 1
                answer = http.post(f"/v1/conversations/{cid}/reply",
                                   json={"reply": reply_at(SCRIPTS["empathic"], turn - 1), "turn": turn})
                assert answer.status_code == 200, answer.text
                served = Transcript.model_validate(http.get(f"/v1/conversations/{cid}").json())
            same_scores(served, expected(*plan[cid], SCRIPTS["empathic"]))
        path = tmp_path / "all.jsonl"
        path.write_text(http.get("/v1/transcripts", params={"status": "all"}).text, encoding="utf-8")
    transcripts = read_transcripts(path)
    assert len(transcripts) == 8 and all(t.done for t in transcripts)
    assert verify_transcripts(transcripts) is None


@pytest.mark.parametrize("n", [32, pytest.param(200, marks=pytest.mark.slow)])
def test_concurrent_conversations_nothing_lost_or_mixed_up(server, n):
    """``n`` clients at once, each its own persona, seed and script; every transcript is exactly the one the
    in-process simulator plays for that client."""

    async def one(client: httpx.AsyncClient, k: int) -> tuple[int, str, list[dict]]:
        i = k % len(PERSONAS)
        started = (await client.post("/v1/conversations", json={"persona_id": PERSONAS[i].id, "seed": k,
                                                                 "max_turns": 4})).json()
        cid, results = started["conversation_id"], []
        while not results or not results[-1]["ended"]:
            turn = len(results) + 1
            body = {"reply": reply_at(script_for(k), turn - 1), "turn": turn}
            results.append((await client.post(f"/v1/conversations/{cid}/reply", json=body)).json())
        return k, cid, results

    async def everyone():
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as client:
            return await asyncio.gather(*(one(client, k) for k in range(n)))

    with httpx.Client(base_url=server.url, timeout=60) as http:
        before = http.get("/metrics").json()
        played = asyncio.run(everyone())
        after = http.get("/metrics").json()
        assert len({cid for _, cid, _ in played}) == n
        for k, cid, results in played:
            reference = expected(k % len(PERSONAS), k, 4, script_for(k))
            assert [(r["turn"], r["user"], r["emotion"]) for r in results] == \
                   [(t, u.user, u.emotion) for t, u in enumerate(reference.turns, start=1)]
            served = Transcript.model_validate(http.get(f"/v1/conversations/{cid}").json())
            same_scores(served, reference)
    assert after["conversations_started"] - before["conversations_started"] == n
    assert after["turns_served"] - before["turns_served"] == sum(len(r) for _, _, r in played)
    assert after["failures"] == before["failures"]


def test_a_token_guards_every_path_but_health_and_docs(tmp_path):
    with RlempServer(tmp_path / "store", env={"RLEMP_SERVE_TOKEN": "s3cret-token"}) as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            start = {"persona_id": PERSONAS[0].id}
            assert http.post("/v1/conversations", json=start).status_code == 401
            wrong = http.post("/v1/conversations", json=start, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and "bearer token" in wrong.json()["error"]
            assert http.get("/metrics").status_code == 401
            assert http.get("/health").status_code == 200 and http.get("/docs").status_code == 200
            ok = http.post("/v1/conversations", json=start, headers={"Authorization": "Bearer s3cret-token"})
            assert ok.status_code == 201
        with pytest.MonkeyPatch.context() as patch:  # the client (and the remote backend) read the same variable
            patch.setenv("RLEMP_SERVE_TOKEN", "s3cret-token")
            with ServiceClient(server.url) as client:
                assert client.start(PERSONAS[1].id).persona_id == PERSONAS[1].id
        with ServiceClient(server.url, token_env=None, max_retries=0) as client:
            with pytest.raises(ServiceError, match="401 missing or wrong bearer token"):
                client.metrics()
    assert "s3cret-token" not in "".join(server.output)


def test_binding_beyond_loopback_needs_a_token(tmp_path):
    done = subprocess.run([sys.executable, "-m", "rlemp.cli", "serve", "--store", str(tmp_path / "s"),
                           "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True,
                          env={"PATH": "", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "beyond loopback) needs a bearer token" in done.stderr


def test_remote_backend_in_rlemp_simulate_matches_the_rule_backend_and_verifies_locally(server, tmp_path):
    config = tmp_path / "remote.json"
    config.write_text(json.dumps({"url": server.url}), encoding="utf-8")
    script = REPO / "tests" / "data" / "scripts" / "empathic.json"
    personas = tmp_path / "personas.jsonl"
    personas.write_text("".join(p.model_dump_json(exclude_none=True) + "\n" for p in PERSONAS[:6]), encoding="utf-8")
    outputs = {}
    for backend, extra in (("remote", ["--simulator-config", str(config)]), ("rule", [])):
        out = tmp_path / f"{backend}.jsonl"
        done = subprocess.run([sys.executable, "-m", "rlemp.cli", "simulate", "--personas", str(personas),
                               "--script", str(script), "--backend", backend, *extra, "--max-turns", "5", "--seed",
                               "4", "--out", str(out)], capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stderr
        outputs[backend] = read_transcripts(out)
    for remote, rule in zip(outputs["remote"], outputs["rule"]):
        same_scores(remote, rule)
        assert remote.backend == "rule" and "conversation_id" in remote.meta
    assert verify_transcripts(outputs["remote"]) is None


@pytest.mark.slow
def test_remote_backend_inside_a_short_grpo_run(server, tiny_model_dir, tmp_path):
    """rlemp's own trainer with ``simulator_backend: remote``: every rollout turn is judged by the server, the
    run's transcripts carry the server's rule header and replay locally, and the server counted those turns."""
    import yaml

    recipe = yaml.safe_load((REPO / "recipes" / "tiny" / "grpo.yaml").read_text(encoding="utf-8"))
    recipe.update(model_name_or_path=str(tiny_model_dir), personas=str(EVAL_PERSONAS), output_dir=str(tmp_path / "out"),
                  max_steps=1, max_turns=2, max_turn_tokens=12, max_completion_length=96, save_steps=1,
                  per_device_train_batch_size=4, num_generations=2, eval_at_end=False, report_to="none",
                  simulator_backend="remote", simulator_config={"url": server.url})
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    with httpx.Client(base_url=server.url, timeout=60) as http:
        before = http.get("/metrics").json()["turns_served"]
        done = subprocess.run([sys.executable, "-m", "rlemp.cli", "train", "--config", str(path)], cwd=REPO,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        served = http.get("/metrics").json()["turns_served"] - before
    transcripts = read_transcripts(tmp_path / "out" / "transcripts.jsonl")
    assert transcripts and all(t.backend == "rule" and "conversation_id" in t.meta for t in transcripts)
    assert served == sum(len(t.turns) for t in transcripts)
    assert verify_transcripts(transcripts) is None


def test_a_failing_store_records_nothing_and_keeps_memory_as_stored(tmp_path):
    """In-process: when the SQLite commit fails, the turn is taken back, so memory never runs ahead of the file."""
    from rlemp.service.engine import ConversationEngine
    from rlemp.service.schemas import BatchReply, StartRequest
    from rlemp.service.store import ConversationStore

    engine = ConversationEngine(build_simulator("rule"), PERSONAS, ConversationStore(tmp_path / "store"))
    (started,) = engine.start([StartRequest(persona_id=PERSONAS[0].id)])
    engine.store.db.close()
    with pytest.raises(ServiceError, match="conversation store failed") as failed:
        engine.reply([BatchReply(conversation_id=started.conversation_id, reply=EMPATHIC[0])])
    assert failed.value.status == 503
    transcript = engine.open[started.conversation_id]
    assert transcript.turns == [] and transcript.final_emotion == PERSONAS[0].initial_emotion
    assert engine.counts["turns"] == 0
    engine.store = ConversationStore(tmp_path / "store")
    (turn,) = engine.reply([BatchReply(conversation_id=started.conversation_id, reply=EMPATHIC[0], turn=1)])
    assert turn.turn == 1 and len(engine.store.load(started.conversation_id).turns) == 1


def test_memory_holds_at_most_max_in_memory_open_conversations_and_the_rest_play_on_from_the_store(tmp_path):
    """In-process: six interleaved conversations through an engine that keeps two in memory end exactly as the
    in-process simulator plays them; the others were read back from the store turn after turn."""
    from rlemp.service.engine import ConversationEngine
    from rlemp.service.schemas import BatchReply, StartRequest
    from rlemp.service.store import ConversationStore

    engine = ConversationEngine(build_simulator("rule"), PERSONAS, ConversationStore(tmp_path / "store"),
                                max_in_memory=2)
    started = engine.start([StartRequest(persona_id=PERSONAS[i].id, seed=i, max_turns=4) for i in range(6)])
    assert len(engine.open) == 2
    ids = [s.conversation_id for s in started]
    for turn in range(4):
        for i, cid in enumerate(ids):
            if not engine.transcript(cid).done:
                engine.reply([BatchReply(conversation_id=cid, reply=reply_at(script_for(i), turn))])
            assert len(engine.open) <= 2
    for i, cid in enumerate(ids):
        same_scores(engine.transcript(cid), expected(i, i, 4, script_for(i)))
    metrics = engine.metrics()
    assert metrics.conversations_read_back > 0 and metrics.conversations_in_memory <= 2
    assert metrics.conversations_open + metrics.conversations_finished == 6
    with pytest.raises(RlempError, match="max_in_memory: must be at least 1"):
        ConversationEngine(build_simulator("rule"), PERSONAS, ConversationStore(tmp_path / "other"), max_in_memory=0)
