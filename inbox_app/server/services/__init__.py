"""One module per capability; each owns its transaction. Routes, webhooks and the dispatcher
all call these, so every rule lives in exactly one place."""
