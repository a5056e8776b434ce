"""The labelled corpus: a few hundred scripted sessions, recorded, with what should be found.

Projects, each with sessions of its own kind: ``webapp`` (OpenAI models) and
``pipeline`` (Anthropic models) hold the plain and tricky clean sessions and
every injected failure mode; ``frontend`` declares rules; ``research`` is
expensive as a rule, with a few cheap sessions; ``ledger`` has a daily
budget its identical nightly sessions run through. Each project starts with
clean sessions, so that cost baselines exist before the first spike.

Labels come from the scripts (``_faults``), except two kinds derived from
what every session hit, by the definitions the detectors document:

* ``recurring``: a bug that came back in a session after a successful tool
  call, or that one of the project's previous ``baseline_sessions`` sessions
  also hit. Bugs are named by the scripts, not by fingerprints.
* ``burn-rate``: ledger sessions from the fifth on, since the budget is set
  to 4.5 nights of spend projected from an hour (all sessions are recorded
  within seconds, so within the hour).
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import agentreel
from agentreel.detectors import DETECTORS, KINDS, DetectorConfig, Finding, Rule, analyze
from agentreel.storage import SQLiteStore

from . import _faults as faults
from . import _faults_drift as drift_faults
from . import _scenarios as sc
from . import _tricky as tr
from ._agent import record_script
from ._script import Recorded

SEED = 20260101
BASELINE = DetectorConfig().baseline_sessions
#: How many sessions of each failure mode the corpus holds.
PER_FAULT = 9
BURN_FROM = 5

PROJECTS = {
    "webapp": sc.Project(name="webapp", repo="shop", model="gpt-4o-mini", vendor="openai"),
    "pipeline": sc.Project(
        name="pipeline", repo="etl", model="claude-haiku-4-5", vendor="anthropic"
    ),
    "frontend": sc.Project(name="frontend", repo="ui", model="gpt-4o-mini", vendor="mixed"),
    "research": sc.Project(
        name="research", repo="notes", model="claude-opus-4-1", vendor="anthropic"
    ),
    "ledger": sc.Project(name="ledger", repo="books", model="gpt-4.1", vendor="openai"),
}

RULES = (
    Rule("ts-strict", pattern=r'"strict"\s*:\s*false'),
    Rule("no-force-push", check=lambda text: "push --force" not in text and "push -f" not in text),
)

Builder = Callable[[random.Random, sc.Project], sc.Case]


@dataclass(frozen=True, slots=True)
class Truth:
    detector: str
    kind: str
    steps: frozenset[int]


@dataclass(slots=True)
class Entry:
    project: str
    case: sc.Case
    record: Recorded = field(default_factory=Recorded)
    truths: list[Truth] = field(default_factory=list)


@dataclass(slots=True)
class Corpus:
    path: Path
    entries: list[Entry]
    configs: dict[str, DetectorConfig]

    def config(self, entry: Entry) -> DetectorConfig:
        return self.configs.get(entry.project, DetectorConfig())


def _plan(seed: int) -> list[tuple[str, Builder, int]]:
    """(project, builder, seed) of every session, in recording order."""
    rng = random.Random(seed)
    first: list[tuple[str, Builder]] = []
    rest: list[tuple[str, Builder]] = []
    for project in ("webapp", "pipeline"):
        first += [(project, sc.normal)] * 6
        rest += [(project, sc.normal)] * 14
    tricky = (
        tr.retry_after_change,
        tr.transient_retry,
        tr.long_session,
        tr.many_reads,
        tr.dynamic_prompt,
        tr.honest_report,
        tr.reworded_prompt,
        tr.polling,
        tr.batch,
        tr.long_conversation,
    )
    for builder in tricky:
        rest += [(rng.choice(("webapp", "pipeline")), builder) for _ in range(4)]
    for builder in faults.FAULTS.values():
        rest += [(rng.choice(("webapp", "pipeline")), builder) for _ in range(PER_FAULT)]
    for builder in faults.LIMITS.values():
        rest += [(rng.choice(("webapp", "pipeline")), builder)]
    first += [("frontend", drift_faults.frontend_normal)] * 6 + [("research", sc.research)] * 6
    rest += [("frontend", drift_faults.frontend_normal)] * 10
    rest += [("frontend", drift_faults.rule_broken)] * (PER_FAULT + 1)
    rest += [("research", sc.research)] * 10 + [("research", tr.cheap_session)] * 4
    rest += [("ledger", sc.ledger)] * 10
    rng.shuffle(rest)
    return [(p, b, rng.randrange(2**32)) for p, b in first + rest]


def _resolve(where: sc.Where, record: Recorded) -> int:
    kind, *at = where
    if kind == "llm":
        return record.llm[at[0], at[1]]  # type: ignore[index]
    if kind == "tool":
        return record.tools[at[0], at[1], at[2]]  # type: ignore[index]
    if kind == "agent":
        return record.agents[at[0]]  # type: ignore[index]
    assert record.plan_step is not None
    return record.plan_step


def _recurrences(entries: list[Entry]) -> None:
    by_project: dict[str, list[Entry]] = {}
    for entry in entries:
        by_project.setdefault(entry.project, []).append(entry)
    for sessions in by_project.values():
        for index, entry in enumerate(sessions):
            earlier = {
                bug
                for e in sessions[max(0, index - BASELINE) : index]
                for _, bug in e.record.failures
            }
            hits: dict[str, list[int]] = {}
            for number, bug in entry.record.failures:
                hits.setdefault(bug, []).append(number)
            successes = sorted(entry.record.successes)
            for bug, numbers in hits.items():
                numbers.sort()
                came_back = any(
                    bisect.bisect_left(successes, b) > bisect.bisect_right(successes, a)
                    for a, b in itertools.pairwise(numbers)
                )
                if came_back or bug in earlier:
                    entry.truths.append(Truth("recurring-failure", "recurring", frozenset(numbers)))


def build(path: Path, seed: int = SEED) -> Corpus:
    """Record the corpus into the SQLite file ``path`` and label it."""
    entries = [
        Entry(project, builder(random.Random(case_seed), PROJECTS[project]))
        for project, builder, case_seed in _plan(seed)
    ]
    # A queue that holds the whole corpus: a loaded machine must not drop records.
    agentreel.configure(db=path, queue_size=1_000_000)
    try:
        for entry in entries:
            entry.record = record_script(entry.case.script)
        assert agentreel.flush(timeout=60)
    finally:
        agentreel.shutdown()
    lost = {k: v for k, v in agentreel.stats().items() if k.startswith("dropped") and v}
    assert not lost, f"the recorder lost part of the corpus: {lost}"
    for entry in entries:
        for label in entry.case.labels:
            steps = frozenset(_resolve(w, entry.record) for w in label.where)
            entry.truths.append(Truth(label.detector, label.kind, steps))
    _recurrences(entries)
    ledger = [e for e in entries if e.project == "ledger"]
    for position, entry in enumerate(ledger, 1):
        if position >= BURN_FROM:
            entry.truths.append(Truth("cost-spike", "burn-rate", frozenset()))
    store = SQLiteStore(path, create=False)
    try:
        nightly = store.summarize(ledger[0].record.session_id).cost
    finally:
        store.close()
    budget = 24 * nightly * (BURN_FROM - 0.5)
    configs = {
        "frontend": DetectorConfig(rules=RULES),
        "ledger": DetectorConfig(daily_budget_usd=budget),
    }
    return Corpus(path=path, entries=entries, configs=configs)


# -- scoring ---------------------------------------------------------------------------


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass(slots=True)
class Scores:
    sessions: int = 0
    by_detector: dict[str, Score] = field(default_factory=dict)
    by_kind: dict[tuple[str, str], Score] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


def _matches(finding: Finding, truth: Truth) -> bool:
    if (finding.detector, finding.kind) != (truth.detector, truth.kind):
        return False
    if not truth.steps:
        return not finding.steps
    return bool(truth.steps & set(finding.steps))


def score(corpus: Corpus) -> Scores:
    """Run every detector over every session and match findings to labels one to one."""
    scores = Scores(sessions=len(corpus.entries))
    for detector in DETECTORS:
        scores.by_detector[detector] = Score()
        for kind in KINDS[detector]:
            scores.by_kind[detector, kind] = Score()
    store = SQLiteStore(corpus.path, create=False)
    try:
        for entry in corpus.entries:
            report = analyze(store, entry.record.session_id, config=corpus.config(entry))
            scores.crashes += [u for u in report.unchecked if "report this as a bug" in u]
            open_truths = list(entry.truths)
            for finding in report.findings:
                hit = next((t for t in open_truths if _matches(finding, t)), None)
                key = (finding.detector, finding.kind)
                if hit is None:
                    scores.by_detector[finding.detector].fp += 1
                    scores.by_kind[key].fp += 1
                    scores.misses.append(
                        f"FP {entry.case.scenario} [{entry.project}]: {finding.kind} "
                        f"{finding.steps} {finding.message}"
                    )
                else:
                    open_truths.remove(hit)
                    scores.by_detector[finding.detector].tp += 1
                    scores.by_kind[key].tp += 1
            for truth in open_truths:
                scores.by_detector[truth.detector].fn += 1
                scores.by_kind[truth.detector, truth.kind].fn += 1
                scores.misses.append(
                    f"FN {entry.case.scenario} [{entry.project}]: {truth.kind} "
                    f"{sorted(truth.steps)} ({entry.record.session_id[:8]})"
                )
    finally:
        store.close()
    return scores


def table(scores: Scores) -> str:
    """The Markdown table of precision and recall, per detector then per kind."""
    lines = [
        "| detector | kind | labelled | found | precision | recall |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for detector in DETECTORS:
        s = scores.by_detector[detector]
        lines.append(
            f"| **{detector}** | all | {s.tp + s.fn} | {s.tp + s.fp} | "
            f"{s.precision:.2f} | {s.recall:.2f} |"
        )
        for kind in KINDS[detector]:
            k = scores.by_kind[detector, kind]
            lines.append(
                f"| | {kind} | {k.tp + k.fn} | {k.tp + k.fp} | {k.precision:.2f} | {k.recall:.2f} |"
            )
    return "\n".join(lines)


def composition(corpus: Corpus) -> Counter[str]:
    return Counter(e.case.scenario for e in corpus.entries)
