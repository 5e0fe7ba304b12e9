"""Carrier adapters behind one interface: `live` (Twilio's REST API) and `simulate` (local)."""

from inbox_app.server.carrier.base import Carrier, Receipt, StatusSink

__all__ = ["Carrier", "Receipt", "StatusSink"]
