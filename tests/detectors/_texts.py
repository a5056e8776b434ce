"""Text the scripted agents say and the files their tools return, varied by a seeded RNG."""

from __future__ import annotations

import random

from ._script import Fail

MODULES = ("billing", "auth", "search", "reports", "orders", "users", "inventory", "notify")
FUNCS = ("parse", "render", "total", "apply_discount", "lookup", "validate", "merge", "refresh")
TESTS = ("test_totals", "test_login", "test_parse_date", "test_render_empty", "test_refund",
         "test_lookup_missing", "test_merge_conflict", "test_timezone")  # fmt: skip
HOSTS = ("docs.example.com", "status.example.org", "api.example.net", "wiki.internal.test")

SYSTEMS = {
    "investigator": (
        "You are the investigator agent of a coding assistant working on the {repo} repository. "
        "Reproduce the problem and locate its cause; do not change any file. "
        "Report the failing test, the cause, and the file and line where it lives. "
        "Never run commands that write to disk or reach the network."
    ),
    "fixer": (
        "You are the fixer agent of a coding assistant working on the {repo} repository. "
        "Make the smallest change that fixes the problem, with edit_file or write_file. "
        "Keep TypeScript strict mode on in every tsconfig you touch. "
        "Never edit the tests to make them pass. "
        "Explain each change in one sentence."
    ),
    "verifier": (
        "You are the verifier agent of a coding assistant working on the {repo} repository. "
        "Run the tests and report plainly whether they pass. "
        "Quote the summary line of the test run in your answer."
    ),
    "reviewer": (
        "You are the reviewer agent of a coding assistant working on the {repo} repository. "
        "Review the change for behaviour changes and answer in prose."
    ),
    "researcher": (
        "You are the researcher agent. Read the sources you are given and summarise what they "
        "say about the question. Cite every source you use by its address."
    ),
    "deployer": (
        "You are the deployer agent. Build the project and deploy it to the staging environment."
    ),
}

#: Small edits that turn an instruction around, as a buggy prompt builder might.
ALTERED = {
    "Never run commands that write to disk or reach the network.": (
        "Feel free to run commands that write to disk or reach the network."
    ),
    "Never edit the tests to make them pass.": "You may edit the tests to make them pass.",
    "Keep TypeScript strict mode on in every tsconfig you touch.": (
        "Turn TypeScript strict mode off in every tsconfig you touch."
    ),
    "Quote the summary line of the test run in your answer.": (
        "Do not quote the summary line of the test run in your answer."
    ),
}


def system(agent: str, repo: str) -> str:
    return SYSTEMS[agent].format(repo=repo)


def code(rng: random.Random, lines: int) -> str:
    """A made-up source file of about ``lines`` lines."""
    out = []
    for i in range(lines):
        name = rng.choice(FUNCS)
        if i % 6 == 0:
            out.append(f"def {name}_{i}(value, options=None):")
        elif i % 6 == 5:
            out.append(f"    return {name}(value) + {rng.randint(0, 99)}")
        else:
            out.append(f"    value = {rng.choice(FUNCS)}(value, {rng.randint(0, 999)})")
    return "\n".join(out)


def page(rng: random.Random, chars: int) -> str:
    """A made-up web page's text of about ``chars`` characters."""
    words = [
        "service",
        "latency",
        "region",
        "deploy",
        "queue",
        "retry",
        "budget",
        "index",
        "cache",
        "token",
        "replica",
        "window",
        "quota",
        "schema",
        "rollout",
        "alert",
    ]
    out: list[str] = []
    size = 0
    while size < chars:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 14))).capitalize()
        out.append(sentence + ".")
        size += len(sentence) + 2
    return " ".join(out)


def source(rng: random.Random) -> str:
    return f"src/{rng.choice(MODULES)}/{rng.choice(FUNCS)}.py"


def test_file(rng: random.Random) -> str:
    return f"tests/test_{rng.choice(MODULES)}.py"


def hexid(rng: random.Random, n: int = 12) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


# -- failures, each a bug that can come back -------------------------------------


def fetch_timeout(rng: random.Random) -> Fail:
    seconds = rng.choice((10, 15, 30))
    url = f"https://{rng.choice(HOSTS)}/{hexid(rng, 6)}"
    return Fail(
        kind=TimeoutError,
        message=f"timed out after {seconds}s fetching {url}",
        bug="fetch-timeout",
    )


def db_locked(rng: random.Random) -> Fail:
    return Fail(
        kind=RuntimeError,
        message=f"database is locked (waited {rng.randint(100, 5000)} ms) on "
        f"/var/lib/app/db-{hexid(rng, 8)}.sqlite",
        bug="db-locked",
    )


def index_rate_limited(rng: random.Random) -> Fail:
    return Fail(
        kind=ConnectionError,
        message=f"rate limited by the code index: retry in {rng.randint(2, 60)}s "
        f"(request {hexid(rng, 16)})",
        bug="index-rate-limited",
    )


def missing_file(path: str) -> Fail:
    return Fail(
        kind=FileNotFoundError,
        message=f"[Errno 2] No such file or directory: '{path}'",
        bug="missing-file",
    )


def permission_denied(path: str) -> Fail:
    return Fail(
        kind=PermissionError, message=f"[Errno 13] Permission denied: '{path}'", bug="perm-denied"
    )


def import_error(module: str) -> Fail:
    return Fail(
        kind=ModuleNotFoundError,
        message=f"No module named '{module}'",
        bug="tests-import",
    )


def assertion(rng: random.Random, test: str) -> Fail:
    # The test's name is not masked by fingerprints: each test is its own bug.
    return Fail(
        kind=AssertionError,
        message=f"{test} failed: expected {rng.randint(1, 99)}, got {rng.randint(100, 199)}",
        bug=f"assert-{test}",
    )
