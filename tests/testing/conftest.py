"""Fixtures for the fake LLM server tests: a running server and the official clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from agentreel.testing import FakeLLMServer

# Strict validation makes the clients check every response and every streamed
# event against their typed models, so a misshapen field fails the test.
STRICT: dict[str, Any] = {"_strict_response_validation": True, "max_retries": 0, "timeout": 5.0}


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


@pytest.fixture
def oai(server: FakeLLMServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.openai_base_url, api_key="test", **STRICT) as client:
        yield client


@pytest.fixture
def claude(server: FakeLLMServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=server.anthropic_base_url, api_key="test", **STRICT
    ) as client:
        yield client
