"""Model backends: a small interface, a registry, and the built-in implementations."""
