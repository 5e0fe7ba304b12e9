"""The inbox area: search hits, moving through a thread."""
