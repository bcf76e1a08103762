from django.urls import path

from . import views

app_name = "chat"

urlpatterns = [
    path("restapi/get-agent-info", views.agent_info, name="agent_info"),
    path("restapi/chat-status", views.chat_status, name="chat_status"),
    path("chat/leave-message", views.leave_message, name="leave_message"),
    path("restapi/transcript", views.transcript, name="transcript"),
    # The chat box's markup and config, for the embed script on other sites.
    path("chat/widget/", views.widget, name="widget"),
    # The chat box's translations for its script (Django's JavaScriptCatalog), in the page's
    # language: /chat/jsi18n/de/.
    path("chat/jsi18n/<str:language>/", views.javascript_catalog, name="javascript_catalog"),
]
