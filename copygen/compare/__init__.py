"""`copygen compare`: the same rows through several backends, measured side by side."""
