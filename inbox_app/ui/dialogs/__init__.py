"""The client's dialogs. Show them with `await ask(dialog)` from a coroutine (no nested loop).

The dialogs themselves load on first use (PEP 562): importing `dialogs._common` for `ask`
must not build every dialog, nor pyqtgraph for the usage chart, before the inbox is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inbox_app.ui.dialogs._common import ask

if TYPE_CHECKING:
    from inbox_app.ui.dialogs.block import block_box, confirm_block, confirm_block_async
    from inbox_app.ui.dialogs.details import ThreadDetailsDialog
    from inbox_app.ui.dialogs.new_conversation import NewConversationDialog
    from inbox_app.ui.dialogs.send_later import SendLaterDialog
    from inbox_app.ui.dialogs.sign_in import SignInDialog
    from inbox_app.ui.dialogs.top_up import TopUpDialog

__all__ = [
    "NewConversationDialog",
    "SendLaterDialog",
    "SignInDialog",
    "ThreadDetailsDialog",
    "TopUpDialog",
    "ask",
    "block_box",
    "confirm_block",
    "confirm_block_async",
]


def __getattr__(name: str):
    # Plain import statements (not importlib with a string) so PyInstaller still sees them.
    if name in ("block_box", "confirm_block", "confirm_block_async"):
        from inbox_app.ui.dialogs import block as module
    elif name == "ThreadDetailsDialog":
        from inbox_app.ui.dialogs import details as module
    elif name == "NewConversationDialog":
        from inbox_app.ui.dialogs import new_conversation as module
    elif name == "SendLaterDialog":
        from inbox_app.ui.dialogs import send_later as module
    elif name == "SignInDialog":
        from inbox_app.ui.dialogs import sign_in as module
    elif name == "TopUpDialog":
        from inbox_app.ui.dialogs import top_up as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value
