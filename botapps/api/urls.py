from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from . import views

app_name = "chat_api"

USER = "v1/users/<int:user_id>"
CHAT = f"{USER}/chats/<int:chat_id>"

urlpatterns = [
    path("v1/me", views.MeView.as_view(), name="me"),
    path(USER, views.UserView.as_view(), name="user"),
    path(f"{USER}/clients", views.ClientListView.as_view(), name="clients"),
    path(f"{USER}/clients/<str:client_id>", views.ClientView.as_view(), name="client"),
    path(f"{USER}/present_agents", views.PresentAgentsView.as_view(), name="present_agents"),
    path(f"{USER}/routed_chats", views.RoutedChatListView.as_view(), name="routed_chats"),
    path(f"{USER}/pending_chats", views.PendingChatListView.as_view(), name="pending_chats"),
    path(
        f"{USER}/routed_chats/<int:chat_id>",
        views.RoutedChatView.as_view(),
        name="routed_chat",
    ),
    path(
        f"{USER}/routed_chats/<int:chat_id>/memberships",
        views.RoutedMembershipView.as_view(),
        name="routed_chat_memberships",
    ),
    path(
        f"{USER}/pending_chats/<int:chat_id>/memberships",
        views.PendingMembershipView.as_view(),
        name="pending_chat_memberships",
    ),
    path(CHAT, views.ChatView.as_view(), name="chat"),
    path(
        f"{CHAT}/memberships/<int:member_id>",
        views.MembershipView.as_view(),
        name="membership",
    ),
    path(f"{CHAT}/messages", views.MessageListView.as_view(), name="messages"),
    path(f"{CHAT}/handover", views.HandOverView.as_view(), name="handover"),
    # The document is public: a bot's developer reads it before having credentials.
    path(
        "schema/",
        SpectacularAPIView.as_view(
            authentication_classes=[], permission_classes=[AllowAny], throttle_classes=[]
        ),
        name="schema",
    ),
    re_path(r"^", views.not_found),
]
