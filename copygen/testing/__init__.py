"""Test helpers that ship with copygen, for its own tests, benchmarks and plugin authors.

``copygen.testing.fake_openai.FakeOpenAIServer`` is a real local HTTP server speaking the
OpenAI chat-completions protocol, with scripted failures.
"""
