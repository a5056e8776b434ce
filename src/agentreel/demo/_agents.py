"""The demo's agents: a planner that writes a plan and workers that carry it out.

They are ordinary agent code instrumented with agentreel, the way a user's
agent would be: each agent is an ``agent`` step, each model call an ``llm``
step and each tool call a ``tool`` step. The planner records its plan with
``agentreel.plan`` (a ``plan`` step, where ``before_plan`` hooks may approve,
edit or reject it) and the workers carry out the approved plan, each inside
``agentreel.executing(plan_step)``, so that every step says which planned
step it serves and ``agentreel plan ID`` can compare the two. Tools
really act on the virtual repository, and a tool that fails raises, is
recorded as a failed step, and its error is handed back to the model as the
tool's answer, as agent frameworks do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import agentreel
from agentreel.model import InvalidPlan, Plan, PlanStep

from ._checker import TestReport
from ._model import Message, ScriptedModel
from ._repo import VirtualRepo

__all__ = [
    "AGENTS",
    "AgentSpec",
    "TaskFailed",
    "Toolbox",
    "make_plan",
    "run_task",
    "run_worker",
    "tool_schema",
]

MAX_TURNS = 8
PLANNER_SYSTEM = (
    "You are the planner agent of a coding assistant working on the Python repository `calc`. "
    "Break the task into a few ordered steps, each done by one agent: investigator (reads and "
    "runs code, changes nothing), fixer (edits files), reviewer (reviews a change), verifier "
    "(runs the tests). Answer with JSON only: "
    '{"goal": str, "steps": [{"id": str, "agent": str, "task": str}]}.'
)


class TaskFailed(RuntimeError):
    """The demo agent gave up on its task.

    It stands for the host program's own exception, which is what the
    recorder sees when an agent fails; it is not an ``AgentreelError`` because
    agentreel does not raise it to anyone (``run_demo`` records it and goes on).
    """

    # Recorded errors name the class by module; name the public one, not ours.
    __module__ = "agentreel.demo"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSpec:
    """How a worker agent is prompted and what it may do."""

    system: str
    tools: tuple[str, ...]
    #: Paste every file of the repository into the prompt (the cost-spike mistake).
    paste_repo: bool = False
    #: The agent fails unless its last test run passed.
    must_pass: bool = False


def _system(name: str, duty: str) -> str:
    return (
        f"You are the {name} agent of a coding assistant working on the repository `calc`. {duty}"
    )


AGENTS: dict[str, AgentSpec] = {
    "investigator": AgentSpec(
        system=_system("investigator", "Reproduce and locate problems; do not change files."),
        tools=("run_tests", "read_file", "search_code"),
    ),
    "fixer": AgentSpec(
        system=_system("fixer", "Make the smallest change that does the task, with edit_file."),
        tools=("read_file", "search_code", "edit_file"),
    ),
    "reviewer": AgentSpec(
        system=_system("reviewer", "Review the change for behaviour changes; answer in prose."),
        tools=(),
        paste_repo=True,
    ),
    "verifier": AgentSpec(
        system=_system("verifier", "Run the tests and report plainly whether they pass."),
        tools=("run_tests",),
        must_pass=True,
    ),
}

_PARAMETERS: dict[str, dict[str, str]] = {
    "read_file": {"path": "File to read, relative to the repository root."},
    "search_code": {"query": "Text to look for in every file."},
    "edit_file": {
        "path": "File to change.",
        "old": "Exact text to replace; it must occur once.",
        "new": "Replacement text.",
    },
    "run_tests": {"path": "A test file, or a folder of test files."},
}
_DESCRIPTIONS = {
    "read_file": "Read a file of the repository.",
    "search_code": "Find the lines of the repository that contain a text.",
    "edit_file": "Replace one exact occurrence of a text in a file.",
    "run_tests": "Run pytest on a test file or folder and report the results.",
}


def tool_schema(name: str) -> Message:
    """The OpenAI function-tool declaration of one of the demo's tools."""
    params = _PARAMETERS[name]
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": _DESCRIPTIONS[name],
            "parameters": {
                "type": "object",
                "properties": {k: {"type": "string", "description": v} for k, v in params.items()},
                "required": list(params),
            },
        },
    }


def _report_json(report: TestReport) -> dict[str, Any]:
    return {
        "paths": list(report.paths),
        "summary": report.summary,
        "passed": list(report.passed),
        "failed": [{"test": f.test, "error": f.error} for f in report.failed],
    }


class Toolbox:
    """The tools of one task, bound to its repository, recorded as ``tool`` steps."""

    def __init__(self, repo: VirtualRepo) -> None:
        self.repo = repo
        #: What the last ``run_tests`` call ended with, for agents that must see green.
        self.last_tests = "the tests were not run"
        self.tests_green = False

        @agentreel.tool(name="read_file")
        def read_file(path: str) -> str:
            return repo.read(path)

        @agentreel.tool(name="search_code")
        def search_code(query: str) -> list[str]:
            return repo.search(query)

        @agentreel.tool(name="edit_file")
        def edit_file(path: str, old: str, new: str) -> dict[str, Any]:
            repo.edit(path, old, new)
            return {
                "path": path,
                "edited": True,
                "lines_removed": old.count("\n"),
                "lines_added": new.count("\n"),
            }

        @agentreel.tool(name="run_tests")
        def run_tests(path: str) -> dict[str, Any]:
            return _report_json(repo.run_tests(path))

        self._tools: dict[str, Callable[..., Any]] = {
            "edit_file": edit_file,
            "read_file": read_file,
            "run_tests": run_tests,
            "search_code": search_code,
        }

    def call(self, name: str, arguments: str) -> str:
        """Run a tool call from the model; its result, or its error, as the tool's answer."""
        tool = self._tools.get(name)
        if tool is None:
            return f"error: there is no tool named {name!r}"
        if name == "run_tests":
            self.tests_green = False
        try:
            result = tool(**json.loads(arguments))
        except Exception as exc:  # the model reads the error and decides what to do
            if name == "run_tests":
                self.last_tests = f"{type(exc).__name__}: {exc}"
            return f"{type(exc).__name__}: {exc}"
        if name == "run_tests":
            # Judged from the tool's answer, not inside its body: under replay
            # (or a fork that edits this step's output) the body does not run,
            # and the answer served in its place must decide what the verifier sees.
            self.tests_green = not result["failed"] and bool(result["passed"])
            self.last_tests = str(result["summary"])
        return result if isinstance(result, str) else json.dumps(result)


def _check_plan(plan: Plan) -> Plan:
    unknown = sorted({str(s.agent) for s in plan.steps if s.agent not in AGENTS})
    if unknown:
        raise TaskFailed(f"the plan names unknown agents: {unknown}")
    return plan


def _parse_plan(text: str) -> Plan:
    try:
        return _check_plan(Plan.from_json(json.loads(text)))
    except (ValueError, InvalidPlan) as exc:
        raise TaskFailed(f"the planner's answer is not a plan: {exc}") from None


def make_plan(model: ScriptedModel, model_name: str, task: str, repo: VirtualRepo) -> Plan:
    """The planner agent: one model call for the plan, then ``agentreel.plan`` records it.

    Hooks decide on the plan when it is recorded: the plan returned is the
    approved one (edited, if a hook edited it); a rejected plan raises
    :class:`~agentreel.errors.StepVetoed`.
    """
    files = sorted(repo.files)
    with agentreel.step("agent", "planner", input={"task": task}) as agent:
        prompt = f"Task: {task}\n\nFiles in the repository:\n" + "\n".join(files)
        response = model.messages_create(
            model=model_name,
            max_tokens=1024,
            system=PLANNER_SYSTEM,
            messages=[{"role": "user", "content": prompt}],
        )
        # An edited plan must still name agents the demo has.
        plan = _check_plan(agentreel.plan(_parse_plan(response["content"][0]["text"])))
        agent.set_output({"goal": plan.goal, "steps": [s.id for s in plan.steps]})
    return plan


def _brief(task: str, plan: Plan, step: PlanStep, notes: list[str], repo: VirtualRepo) -> str:
    lines = [f"Task: {task}", "", "Plan:"]
    lines += [f"  {s.id} ({s.agent}): {s.description}" for s in plan.steps]
    lines += ["", f"Your step is {step.id}: {step.description}"]
    if notes:
        lines += ["", "Reports of the earlier steps:", *notes]
    if AGENTS[str(step.agent)].paste_repo:
        lines += ["", "The whole repository, for context:", "", repo.dump()]
    return "\n".join(lines)


def run_worker(
    model: ScriptedModel, model_name: str, toolbox: Toolbox, brief: str, step: PlanStep
) -> str:
    """One worker agent: ask the model, run the tools it asks for, until it answers."""
    name = str(step.agent)
    spec = AGENTS[name]
    schemas = [tool_schema(tool) for tool in spec.tools]
    brief_input = {"plan_step": step.id, "task": step.description}
    with agentreel.executing(step), agentreel.step("agent", name, input=brief_input) as agent:
        messages: list[Message] = [
            {"role": "system", "content": spec.system},
            {"role": "user", "content": brief},
        ]
        for _ in range(MAX_TURNS):
            response = model.chat_completions_create(
                model=model_name, messages=list(messages), tools=schemas or None
            )
            message = response["choices"][0]["message"]
            messages.append(message)
            calls = message.get("tool_calls") or []
            if not calls:
                report = str(message.get("content") or "")
                agent.set_output(report)
                if spec.must_pass and not toolbox.tests_green:
                    raise TaskFailed(
                        f"{step.id} ({name}): the tests still fail: {toolbox.last_tests}"
                    )
                return report
            for call in calls:
                answer = toolbox.call(call["function"]["name"], call["function"]["arguments"])
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": answer})
        raise TaskFailed(f"{step.id} ({name}): no answer after {MAX_TURNS} model calls")


def run_task(
    model: ScriptedModel, *, planner_model: str, worker_model: str, task: str, repo: VirtualRepo
) -> list[str]:
    """Plan ``task``, then run each planned step's agent in order; the agents' reports."""
    plan = make_plan(model, planner_model, task, repo)
    toolbox = Toolbox(repo)
    notes: list[str] = []
    for step in plan.steps:
        brief = _brief(task, plan, step, notes, repo)
        report = run_worker(model, worker_model, toolbox, brief, step)
        notes.append(f"  {step.id} ({step.agent}): {report}")
    return notes
