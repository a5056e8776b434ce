"""Record and replay the official ``openai`` and ``anthropic`` clients at the HTTP layer.

Both clients send every request through httpx (``httpx2`` in current
releases). :func:`instrument` wraps httpx's transports, so every call those
clients make becomes an ``llm`` step: the normalised request as its input, the
exact response (streamed chunks with their boundaries and timing included) as
its output, the model, tokens and cost read off the response. While replay
answers a step, the client gets the recorded response and the network is not
used. ``docs/integrations.md`` has the details::

    import agentreel, openai
    from agentreel.integrations import instrument

    agentreel.configure()
    instrument()
    openai.OpenAI().chat.completions.create(...)   # recorded as "openai.chat.completions"
"""

from ._instrument import instrument, is_instrumented, uninstrument
from ._record import ResponseRecord, ResponseRecordError
from ._transport import AsyncRecordingTransport, RecordingTransport

__all__ = [
    "AsyncRecordingTransport",
    "RecordingTransport",
    "ResponseRecord",
    "ResponseRecordError",
    "instrument",
    "is_instrumented",
    "uninstrument",
]
