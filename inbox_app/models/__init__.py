"""Database tables (`tables`) and wire schemas (`schemas`); this package loads neither on import."""
