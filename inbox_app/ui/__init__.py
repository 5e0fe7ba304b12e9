"""The desktop client's widgets, item models, delegates, dialogs, printing."""
