"""Compliance checking: rule packs, the matching engine, facts, personal data, language.

Import from the submodules (``copygen.compliance.engine`` etc.) or use the lazy
top-level exports ``from copygen import Checker, check``.
"""
