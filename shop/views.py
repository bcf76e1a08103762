from django.views.generic import DetailView, ListView

from . import selectors


class ProductListView(ListView):
    template_name = "shop/product_list.html"
    context_object_name = "products"

    def get_queryset(self):
        return selectors.product_list()


class ProductDetailView(DetailView):
    template_name = "shop/product_detail.html"
    context_object_name = "product"

    def get_queryset(self):
        return selectors.product_list()
