"""Admin-only views: blocked numbers and their kept records."""
