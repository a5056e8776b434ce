"""What a detector works with: the session, the settings, and the project's history."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from agentreel.model import JSON, SessionSummary

from ._baseline import Profile, Timeline, profile_of, profiles, recent_sessions, remember
from ._config import DetectorConfig
from ._findings import Finding
from ._view import SessionView

__all__ = ["Context", "excerpt", "steps_text"]

_T = TypeVar("_T")

_EXCERPT = 160


def excerpt(text: str, at: int = 0, width: int = _EXCERPT) -> str:
    """About ``width`` characters of ``text`` around position ``at``, on one line."""
    start = max(0, at - width // 3)
    piece = " ".join(text[start : start + width].split())
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def steps_text(numbers: Iterable[int]) -> str:
    """``"step 4"``, ``"steps 4 and 9"``, ``"steps 4, 9 and 12"``."""
    shown = [str(n) for n in numbers]
    if len(shown) == 1:
        return f"step {shown[0]}"
    if len(shown) > 6:
        return f"steps {', '.join(shown[:5])}, … and {shown[-1]}"
    return f"steps {', '.join(shown[:-1])} and {shown[-1]}"


class Context:
    """One analysis: the session's view, the settings, findings and notes so far.

    The project's history (earlier sessions and their profiles) is read on
    first use, once, whichever detector asks first.
    """

    def __init__(
        self, view: SessionView, config: DetectorConfig, timeline: Timeline | None = None
    ) -> None:
        self.view = view
        self.config = config
        self.timeline = timeline
        self.findings: list[Finding] = []
        self.unchecked: list[str] = []
        self._summary: SessionSummary | None = None
        self._history: list[SessionSummary] | None = None
        self._profiles: list[Profile] | None = None
        self._profile: Profile | None = None
        self._once: dict[str, Any] = {}

    def add(
        self,
        detector: str,
        kind: str,
        severity: str,
        steps: Iterable[int],
        message: str,
        /,
        **evidence: JSON,
    ) -> None:
        self.findings.append(
            Finding(
                detector=detector,
                kind=kind,
                severity=severity,
                session_id=self.view.session_id,
                steps=tuple(dict.fromkeys(steps)),
                message=message,
                evidence=evidence,
            )
        )

    def once(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()`` the first time ``key`` is asked for in this analysis."""
        if key not in self._once:
            self._once[key] = compute()
        value: _T = self._once[key]
        return value

    def note(self, detector: str, text: str) -> None:
        line = f"{detector}: {text}"
        if line not in self.unchecked:
            self.unchecked.append(line)

    @property
    def summary(self) -> SessionSummary:
        if self._summary is None:
            known = self.timeline.summary(self.view.session_id) if self.timeline else None
            self._summary = known or self.view.store.summarize(self.view.session_id)
        return self._summary

    @property
    def history(self) -> list[SessionSummary]:
        """The project's most recent sessions that started before this one, newest first."""
        if self._history is None:
            count = self.config.baseline_sessions
            if self.timeline is not None:
                self._history = self.timeline.before(self.view.session, count)
            else:
                self._history = recent_sessions(self.view.store, self.view.session, count)
        return self._history

    @property
    def history_profiles(self) -> list[Profile]:
        if self._profiles is None:
            self._profiles = profiles(self.view.store, self.history)
        return self._profiles

    @property
    def profile(self) -> Profile:
        """This session's own profile (remembered for later analyses of the project)."""
        if self._profile is None:
            view = self.view
            self._profile = profile_of(view.session, view.steps, view.tree)
            remember(view.store, self.summary, self._profile)
        return self._profile
