"""A second opinion: an LLM reads each text as an advertising-law reviewer would.

Rules catch wordings; the judge catches what they cannot (a cure told as a lab
result that got better). It only ever adds findings (``judge.<category>``); the rules
stay the ground truth for what they cover. See :class:`copygen.judge.runner.Judge`.
"""

from __future__ import annotations

from copygen.judge.findings import JUDGE_RULE_PREFIX, UNAVAILABLE_RULE
from copygen.judge.runner import JUDGE_SCHEMA, Judge, JudgeCall, JudgeOutcome
from copygen.judge.setup import HOW_TO_CONFIGURE, create_judge_backend, judge_backend_settings

__all__ = [
    "HOW_TO_CONFIGURE",
    "JUDGE_RULE_PREFIX",
    "JUDGE_SCHEMA",
    "UNAVAILABLE_RULE",
    "Judge",
    "JudgeCall",
    "JudgeOutcome",
    "create_judge_backend",
    "judge_backend_settings",
]
