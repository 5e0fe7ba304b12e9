"""The shared backend: FastAPI app, services, carrier and payment adapters, dispatcher, CLI."""

from inbox_app.models import schemas as _schemas

# The wire schemas defer their build (for the desktop client's start); the server builds them
# all at once, before FastAPI wraps any of them in its request and response fields.
_schemas.build_all()
