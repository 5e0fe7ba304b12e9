"""Client side: async API client, SSE listener, local cache and outbox, credentials."""
