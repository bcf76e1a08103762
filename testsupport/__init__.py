"""Support for the test suite that belongs to no app."""
