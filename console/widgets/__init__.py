"""Reusable widgets of the console (header, error mapping, detail panels, inputs)."""
