"""Benchmarks that print figures (make bench, make bench-bot, make bench-webhooks): apart
from the runtime packages, which never import them."""
