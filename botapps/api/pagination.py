"""Pages of lists. The page size is checked as strictly as a body field: a bot that asks
for 1,000 per page, or for "ten", is told so instead of getting 50 without a word."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request

PAGE_SIZE_PATTERN = re.compile(r"[0-9]{1,9}")


class _StrictPageSize:
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not PAGE_SIZE_PATTERN.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Must be a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def _bounded(self, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    minimum=1, maximum=self.max_page_size, default=self.page_size
                )
                parameter["description"] = (
                    f"Results per page, {self.page_size} unless given; at most "
                    f"{self.max_page_size}."
                )
        return parameters


class PagePagination(_StrictPageSize, PageNumberPagination):
    invalid_page_message = "There is no such page."

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = self._bounded(super().get_schema_operation_parameters(view))
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


class IdCursorPagination(_StrictPageSize, CursorPagination):
    """Oldest first, by id: a page's cursor stays right while messages keep coming."""

    ordering = "id"
    invalid_cursor_message = "This cursor is not valid: use a next or previous link as given."

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return self._bounded(super().get_schema_operation_parameters(view))
