"""The client's dialogs. Show them with `await ask(dialog)` from a coroutine (no nested loop)."""

from inbox_app.ui.dialogs._common import ask
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
