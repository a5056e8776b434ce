"""Helpers for testing code that uses agentreel, and for testing agentreel itself.

``FakeLLMServer`` imitates the OpenAI and Anthropic HTTP APIs on 127.0.0.1 so
the official clients can be exercised without a network or an API key.
"""

from ._llm_replies import Answer, HTTPError, Reply, RequestLog, ToolCall, Usage
from ._llm_server import FakeLLMServer

__all__ = [
    "Answer",
    "FakeLLMServer",
    "HTTPError",
    "Reply",
    "RequestLog",
    "ToolCall",
    "Usage",
]
