"""The privacy app stores nothing of its own: ``VisitorData`` is the chat's conversations
seen as one visitor's data, to give admin its "Visitors' data" page and the two permissions
that page asks for."""

from chat.models import Conversation


class VisitorData(Conversation):
    class Meta:
        proxy = True
        # As admin's index lists it: what the page is for.
        verbose_name = verbose_name_plural = "erase or export a visitor's data"
        # Only what the page does; none of the proxy's add, change, delete and view.
        default_permissions = ()
        permissions = [
            ("erase_visitor_data", "Can erase all that is stored about a visitor"),
            ("export_visitor_data", "Can export all that is stored about a visitor"),
        ]
