"""The ``openai`` backend: any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp, Ollama...) plays the user.

Transport failures (timeouts, 429, 5xx) are retried with the same request and backoff, then give a
:class:`SimulatorError`; other HTTP errors fail at once; invalid answers go to the shared fallback. Answers are
cached on disk (:mod:`rlemp.simulators.cache`) so reruns and ``rlemp verify`` replay without the endpoint. The
API key is read from ``api_key_env`` at request time and never stored. Details: ``docs/simulator.md``.
"""

from __future__ import annotations

import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence
from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator

from rlemp.errors import RlempError
from rlemp.simulators.base import SimulatorError
from rlemp.simulators.cache import RequestCache, request_key
from rlemp.simulators.llm import LLMConfig, LLMSimulator

logger = logging.getLogger(__name__)

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What a pasted API token looks like: a provider's prefix (Hugging Face, OpenAI, GitHub, Slack, AWS, Google,
# Groq, Replicate...) or a long run of mixed-case letters and digits, which no environment variable name has.
SECRET_PREFIX = re.compile(r"^(hf_|sk-|sk_|ghp_|gho_|ghs_|github_pat_|xox[abpr]-|AKIA|AIza|gsk_|r8_)")


def looks_like_secret(name: str) -> bool:
    mixed = any(c.islower() for c in name) and any(c.isupper() for c in name) and any(c.isdigit() for c in name)
    return len(name) >= 20 and (bool(SECRET_PREFIX.match(name)) or mixed)
RETRYABLE_STATUS = frozenset({429}) | frozenset(range(500, 600))


def chat_content(response: httpx.Response) -> str | None:
    """The first choice's message text ("" for a null content), or None if the body is not a chat completion."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if content is None:
        return ""
    return content if isinstance(content, str) else None


class OpenAIConfig(LLMConfig):
    """Endpoint, model and transport knobs of the ``openai`` backend (all part of the config hash)."""

    base_url: str = "https://api.openai.com/v1"
    model: str = Field(min_length=1)
    api_key_env: Optional[str] = Field("OPENAI_API_KEY", description="NAME of the environment variable holding the key")
    max_tokens: int = Field(512, ge=1)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(3, ge=0, le=20)
    backoff_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    concurrency: int = Field(8, ge=1, le=1024)
    cache_dir: Optional[str] = ".rlemp-cache/openai"

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url.rstrip("/")


class OpenAISimulator(LLMSimulator):
    """The user played by a model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    backend = "openai"
    config_class = OpenAIConfig
    config: OpenAIConfig

    def __init__(self, config: OpenAIConfig | dict | None = None):
        super().__init__(config)
        c = self.config
        if c.api_key_env is not None and (not ENV_NAME.fullmatch(c.api_key_env) or looks_like_secret(c.api_key_env)):
            # checked here rather than by pydantic, whose error would echo the value: maybe a key pasted by mistake
            raise RlempError("simulator 'openai' config field 'api_key_env': must be the name of an environment "
                             "variable that holds the API key, not the key itself")
        url = urlsplit(c.base_url)
        if url.username or url.password or url.query:
            # the URL is recorded in every transcript header and in the logs: no credentials in it
            raise RlempError("simulator 'openai' config field 'base_url': must not carry credentials or a query "
                             "string; put the key in the environment variable named by api_key_env")
        self.url = f"{c.base_url}/chat/completions"
        self.cache = RequestCache(c.cache_dir) if c.cache_dir else None
        self.client = httpx.Client(
            timeout=httpx.Timeout(c.timeout_s),
            limits=httpx.Limits(max_connections=c.concurrency, max_keepalive_connections=c.concurrency),
        )

    def _key(self) -> str | None:
        return os.environ.get(self.config.api_key_env) if self.config.api_key_env else None

    def _headers(self) -> dict[str, str]:
        key = self._key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _redacted(self, text: str) -> str:
        """``text`` (an error body, which some servers make by echoing the request) without the API key."""
        key = self._key()
        return text.replace(key, "<API key>") if key else text

    def complete_many(self, requests: Sequence[tuple[list[dict[str, str]], int]]) -> list[str | SimulatorError]:
        if len(requests) <= 1 or self.config.concurrency == 1:
            return [self.complete(messages, seed) for messages, seed in requests]
        with ThreadPoolExecutor(max_workers=min(self.config.concurrency, len(requests))) as pool:
            return list(pool.map(lambda request: self.complete(*request), requests))

    def complete(self, messages: list[dict[str, str]], seed: int) -> str | SimulatorError:
        """One answer: from the cache, else from the endpoint with transport retries."""
        c = self.config
        body = {"model": c.model, "messages": messages, "temperature": c.temperature,
                "max_tokens": c.max_tokens, "seed": seed}
        key = request_key(c.base_url, body)
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                self.count("cache_hits")
                return cached
        problem = ""
        for attempt in range(c.max_retries + 1):
            if attempt:
                self.count("retries")
                time.sleep(min(c.backoff_max_s, c.backoff_s * 2 ** (attempt - 1)))
            self.count("requests")
            try:
                response = self.client.post(self.url, json=body, headers=self._headers())
            except httpx.TimeoutException:
                problem = f"timed out after {c.timeout_s}s"
                continue
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
                continue
            if response.status_code in RETRYABLE_STATUS:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                return self.failure(f"HTTP {response.status_code}: {self._redacted(response.text)[:200]}")
            content = chat_content(response)
            if content is None:
                problem = "the response is not a chat completion"
                continue
            if self.cache is not None:
                self.cache.put(key, content)
            return content
        return self.failure(f"{problem}, {c.max_retries + 1} attempts")

    def failure(self, problem: str) -> SimulatorError:
        self.count("failures")
        logger.warning("openai simulator at %s: %s", self.config.base_url, problem)
        return SimulatorError(f"openai simulator at {self.config.base_url}: {problem}")
