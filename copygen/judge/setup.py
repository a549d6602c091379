"""Which model judges: the settings of the judge's backend, derived from the run's.

``judge: {backend: deepseek, model: deepseek-chat}`` names a profile of ``backends:``
(or a backend type such as ``openai``); ``--judge-backend``, ``--judge-model`` and
``--judge-base-url`` override it. With none of these the judge is the run's own
backend and model. The offline backend composes copy and cannot read it, so a judge
that would be offline is a usage error that says how to configure one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from copygen.config import SERVER_DEFAULT_SOURCE, server_defaults
from copygen.errors import ConfigError

if TYPE_CHECKING:
    from copygen.backends.base import Backend
    from copygen.config import Settings

__all__ = ["HOW_TO_CONFIGURE", "judge_backend_settings", "same_backend"]

HOW_TO_CONFIGURE = (
    "name a model to judge with: 'judge: {backend: PROFILE, model: MODEL}' in copygen.yaml "
    "(PROFILE from 'backends:'), or --judge-backend openai --judge-model MODEL "
    "--judge-base-url URL (the key from OPENAI_API_KEY)"
)


def judge_backend_settings(settings: Settings) -> Settings:
    """The settings the judge's backend is built from.

    Raises ConfigError (exit 2) when the judge would be the offline backend.
    """
    judge = settings
    name = settings.judge_backend
    if name is not None:
        profile = dict(settings.judge_profile)
        changes = dict(profile)
        changes["backend"] = str(profile.pop("backend", name))
        changes["backend_profile"] = name if settings.judge_profile else None
        changes["api_key"] = settings.judge_api_key
        judge = replace(settings, **changes)
        # A profile sets its own server: the run's timeout and concurrency defaults
        # were chosen for the run's server, not this one.
        judge = _server_defaults(judge, set(profile), settings)
    if settings.judge_model is not None:
        judge = replace(judge, model=settings.judge_model)
    if settings.judge_base_url is not None and settings.judge_base_url != judge.base_url:
        # Another server never gets the run's key: only the judge's own.
        judge = replace(judge, base_url=settings.judge_base_url, api_key=settings.judge_api_key)
        judge = _server_defaults(judge, set(), settings)
    if judge.backend == "offline":
        what = (
            "the judge's backend is 'offline'"
            if name is not None
            else "--judge with the offline backend and no judge configured"
        )
        raise ConfigError(
            f"{what}: the offline backend writes copy but cannot judge it", hint=HOW_TO_CONFIGURE
        )
    # The judge reads; it does not write copy: no brand voice, no repairs of its own.
    return replace(judge, max_tokens=settings.judge_max_tokens, temperature=0.0)


def _server_defaults(judge: Settings, given: set[str], run: Settings) -> Settings:
    """Timeout and concurrency for the judge's server where nothing set them for it."""
    chosen = server_defaults(backend=judge.backend, base_url=judge.base_url)
    changes = {
        name: value
        for name, value in chosen.items()
        if name not in given and run.sources.get(name) in (None, SERVER_DEFAULT_SOURCE)
    }
    return replace(judge, **changes) if changes else judge


def same_backend(judge: Settings, run: Settings) -> bool:
    """True when the judge talks to the run's own server and model: then the run's
    backend object is used, so the two share one connection pool and rate limit."""
    return (
        judge.backend == run.backend
        and judge.base_url == run.base_url
        and judge.model == run.model
        and judge.api_key == run.api_key
        and dict(judge.extra_headers) == dict(run.extra_headers)
    )


def create_judge_backend(judge: Settings, run: Settings, run_backend: Backend | None) -> Backend:
    """The run's backend when the judge shares it, else a new one for the judge."""
    if run_backend is not None and same_backend(judge, run):
        return run_backend
    from copygen.backends.registry import create_backend

    return create_backend(judge)
