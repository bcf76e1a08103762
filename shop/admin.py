from django.contrib import admin

from .models import Product, ProductAttribute


class ProductAttributeInline(admin.TabularInline):
    model = ProductAttribute
    fields = ["name", "value", "position"]
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "stock"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProductAttributeInline]
