from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView

from . import selectors


class ChatPageMixin:
    """Pages that carry the chat box make sure the visitor has a session
    cookie before the chat's socket opens: the socket finds the visitor's
    conversation by it."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.session.setdefault("chat_visitor", True)
        return super().dispatch(request, *args, **kwargs)


class ProductListView(ChatPageMixin, ListView):
    template_name = "shop/product_list.html"
    context_object_name = "products"

    def get_queryset(self):
        return selectors.product_list()


class ProductDetailView(ChatPageMixin, DetailView):
    template_name = "shop/product_detail.html"
    context_object_name = "product"

    def get_queryset(self):
        return selectors.product_list()


@require_GET
@never_cache
def agent_info(request: HttpRequest) -> JsonResponse:
    return JsonResponse(selectors.agent_info())
