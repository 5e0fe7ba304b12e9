"""Inbox: a two-way SMS/MMS inbox for law firms (desktop client and shared backend)."""

__version__ = "0.1.0"
