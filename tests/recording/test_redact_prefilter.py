"""The cheap test that decides which text meets the secret patterns never lets a secret by.

``Redactor.text`` and the recorder's attribute path run the regular
expressions only on text that holds an ``@`` or a run of token characters
long enough for a token pattern; these tests generate text that each pattern
matches, at its shortest, and check that the cheap test lets it through.
"""

from __future__ import annotations

import re

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentreel._redact import _SECRET, _URL_PASSWORD, may_hold_secret_bytes
from agentreel.recording import MASK, Redactor

# Each token-shaped alternative of _SECRET on its own (the PEM block is tested
# below with a real key's shape). Generated matches are wrapped in characters
# that end a token run, as they would be in prose.
_ALTERNATIVES = [
    r"(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{16,20}",
    r"sk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_\-]{16,20}",
    r"(?:AKIA|ASIA)[0-9A-Z]{16}",
    r"gh[pousr]_[A-Za-z0-9]{30,34}",
    r"github_pat_[A-Za-z0-9_]{40,44}",
    r"xox[abprs]-[A-Za-z0-9\-]{10,14}",
    r"AIza[0-9A-Za-z_\-]{35}",
    r"eyJ[A-Za-z0-9_\-]{8,10}\.eyJ[A-Za-z0-9_\-]{8,10}\.[A-Za-z0-9_\-]{8,10}",
    r"[a-z][a-z0-9+.\-]{0,3}://[a-z]{1,4}:[a-z0-9]{1,6}@",
]


def _secrets() -> st.SearchStrategy[str]:
    return st.one_of(
        [st.from_regex(re.compile(p, re.ASCII), fullmatch=True) for p in _ALTERNATIVES]
    )


@settings(max_examples=300, deadline=None)
@given(secret=_secrets(), before=st.sampled_from(["", " ", "(", '"', ": "]))
def test_every_pattern_passes_the_prefilter(secret: str, before: str) -> None:
    text = f"{before}{secret} "
    assert _SECRET.search(text) or _URL_PASSWORD.search(text)
    r = Redactor()
    assert r.text(text) != text, f"{text!r} was not redacted"
    assert MASK in r.text(text)
    # The recorder's path: the same test on the JSON bytes of an attribute dict.
    assert may_hold_secret_bytes(orjson.dumps({"note": text}))


def test_shortest_slack_token_is_redacted() -> None:
    # 15 token characters: a run of 16 would let it by (it did, once).
    out = Redactor().text("slack xoxb-1234567890 end")
    assert out == f"slack {MASK} end"


def test_short_url_password_is_redacted() -> None:
    assert Redactor().text("ftp://a:pw@h") == f"ftp://a:{MASK}@h"


def test_pem_block_found_by_its_body() -> None:
    body = "\n".join(["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" + "A" * 12] * 3)
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    assert Redactor().text(f"key {pem} done") == f"key {MASK} done"


@pytest.mark.parametrize(
    "text",
    [
        "lorem ipsum dolor sit amet, consectetur adipiscing elit " * 30,
        "short words only, never fifteen letters in a row " * 10,
    ],
)
def test_prose_is_not_suspected(text: str) -> None:
    assert not may_hold_secret_bytes(orjson.dumps({"document": text}))


def test_a_google_key_ending_with_a_dash_is_redacted() -> None:
    # Found by the property test above: "\b" after the key never matched a final "-".
    key = "AIza" + "0" * 34 + "-"
    assert Redactor().text(f"key {key} end") == f"key {MASK} end"
