"""The shared backend: FastAPI app, services, carrier and payment adapters, dispatcher, CLI."""
