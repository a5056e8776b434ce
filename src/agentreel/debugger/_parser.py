"""Parsing the condition language by hand: text in, a :class:`Predicate` out.

::

    cost > 0.01 and kind == "llm"
    tokens.input >= 10000 or (status == "error" and not name ~ "retry_*")

Grammar, loosest binding first::

    condition := disjunct ("or" disjunct)*
    disjunct  := negation ("and" negation)*
    negation  := "not" negation | compare
    compare   := operand [("==" | "!=" | "<" | "<=" | ">" | ">=" | "~" | "!~") operand]
    operand   := NUMBER | STRING | "true" | "false" | "null" | FIELD | "(" condition ")"

Field names are checked while parsing (see ``_fields``), so a typo fails when
the breakpoint is set. Every error names the problem and its column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._errors import PredicateError
from ._fields import check_field
from ._predicate import Compare, Constant, Field, Junction, Node, Not, Predicate

__all__ = ["MAX_NESTING", "parse_predicate"]

#: Deeper nesting than any real condition needs; the limit keeps a hostile
#: input from exhausting the parser's recursion.
MAX_NESTING = 32

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)
  | (?P<op>==|!=|<=|>=|!~|<|>|~)
  | (?P<paren>[()])
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "true", "false", "null"}
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
_ESCAPES = {"n": "\n", "t": "\t"}
_HINTS = {
    "=": "use == to test equality",
    "&": "use and",
    "|": "use or",
    "!": "use not",
    "[": "write a list index as a field segment: input.messages.0",
    ".": "only field names have dots (tokens.input); values have no attributes",
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, name, keyword, op, paren, end
    text: str
    column: int
    value: Any = None


def _unquote(text: str) -> str:
    out: list[str] = []
    chars = iter(text[1:-1])
    for c in chars:
        if c == "\\":
            nxt = next(chars)
            out.append(_ESCAPES.get(nxt, nxt))
        else:
            out.append(c)
    return "".join(out)


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        column = pos + 1
        if match is None:
            char = source[pos]
            if char in "\"'":
                raise PredicateError(source, column, f"unterminated string starting with {char}")
            hint = _HINTS.get(char, "not part of the condition language")
            raise PredicateError(source, column, f"unexpected {char!r}: {hint}")
        kind = match.lastgroup or ""
        text = match.group()
        pos = match.end()
        if kind == "space":
            continue
        if kind == "number":
            if pos < len(source) and (source[pos].isalnum() or source[pos] in "_."):
                word = re.match(r"[\w.]*", source[column - 1 :])
                shown = word.group() if word else text
                raise PredicateError(source, column, f"malformed number {shown!r}")
            tokens.append(
                _Token("number", text, column, float(text) if _is_float(text) else int(text))
            )
        elif kind == "string":
            tokens.append(_Token("string", text, column, _unquote(text)))
        elif kind == "name" and text in _KEYWORDS:
            tokens.append(_Token("keyword", text, column, _LITERALS.get(text)))
        else:
            tokens.append(_Token(kind, text, column))
    tokens.append(_Token("end", "", len(source) + 1))
    return tokens


def _is_float(text: str) -> bool:
    return any(c in text for c in ".eE")


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.pos = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.pos]

    def fail(self, problem: str, token: _Token | None = None) -> PredicateError:
        return PredicateError(self.source, (token or self.token).column, problem)

    def take(self) -> _Token:
        token = self.token
        self.pos += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (text is None or token.text == text)

    def parse(self) -> Predicate:
        if self.at("end"):
            raise self.fail("the condition is empty; for example: cost > 0.01")
        root = self.condition()
        if not self.at("end"):
            raise self.fail(f"unexpected {self.token.text!r}; join conditions with and / or")
        return Predicate(self.source, root)

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"nested more than {MAX_NESTING} levels deep")

    def condition(self) -> Node:
        return self.junction("or", self.disjunct)

    def disjunct(self) -> Node:
        return self.junction("and", self.negation)

    def junction(self, word: str, part: Callable[[], Node]) -> Node:
        operands = [part()]
        while self.at("keyword", word):
            self.take()
            operands.append(part())
        return operands[0] if len(operands) == 1 else Junction(word == "or", tuple(operands))

    def negation(self) -> Node:
        if not self.at("keyword", "not"):
            return self.compare()
        self.take()
        self.nest()
        node = Not(self.negation())
        self.depth -= 1
        return node

    def compare(self) -> Node:
        left = self.operand()
        if not self.at("op"):
            return left
        op = self.take().text
        right = self.operand()
        if self.at("op"):
            raise self.fail("comparisons cannot be chained; join them with and")
        return Compare(op, left, right)

    def operand(self) -> Node:
        token = self.token
        if token.kind in ("number", "string"):
            self.take()
            return Constant(token.value)
        if token.kind == "keyword" and token.text in _LITERALS:
            self.take()
            return Constant(token.value)
        if token.kind == "name":
            return self.field()
        if token.kind == "paren" and token.text == "(":
            self.take()
            self.nest()
            node = self.condition()
            if not self.at("paren", ")"):
                raise self.fail(f"expected ')' to close the '(' at column {token.column}")
            self.take()
            self.depth -= 1
            return node
        if token.kind == "end":
            raise self.fail("the condition ends too early: a value is missing")
        raise self.fail(f"expected a field or a value, found {token.text!r}")

    def field(self) -> Node:
        token = self.take()
        if self.at("paren", "("):
            raise self.fail("calls are not part of the condition language", self.token)
        if token.text.lower() in _LITERALS:
            raise self.fail(f"write {token.text.lower()} in lowercase", token)
        path = tuple(token.text.split("."))
        problem = check_field(path)
        if problem is not None:
            if len(path) == 1:
                problem += f'; to compare with the text, quote it: "{token.text}"'
            raise self.fail(problem, token)
        return Field(path)


def parse_predicate(source: str) -> Predicate:
    """Parse a condition; a :class:`PredicateError` says what is wrong and where."""
    return _Parser(source.strip()).parse()
