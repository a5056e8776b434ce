"""Model list prices and the cost of a model call.

``DEFAULT_PRICES`` holds the standard-tier list prices of current OpenAI,
Anthropic, Google Gemini, Mistral and DeepSeek models (USD per 1M tokens),
checked on ``PRICES_CHECKED``; ``docs/pricing.md`` says which figures were
verified and which are older. Override or extend it with
``agentreel.configure(prices={...})`` or :meth:`PriceTable.with_overrides`::

    table = DEFAULT_PRICES.with_overrides({"gpt-4o": {"input": 2.0}})
    table.cost("openai/gpt-4o-2024-08-06", TokenUsage(input=1200, output=300))
"""

from ._defaults import DEFAULT_PRICES, PRICES_CHECKED
from ._price import Price, price_from_mapping
from ._table import PriceTable

__all__ = [
    "DEFAULT_PRICES",
    "PRICES_CHECKED",
    "Price",
    "PriceTable",
    "price_from_mapping",
]
