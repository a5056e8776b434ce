# Types of the optional C module built from _speedups.c.

TOKEN_CHARS: str

def has_token_run(text: bytes | str, length: int, /) -> bool: ...
