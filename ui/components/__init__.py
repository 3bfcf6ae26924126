"""Widgets several pages draw the same way."""
