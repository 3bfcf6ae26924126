"""Widgets several pages share, each drawn the same way (same labels, keys given by the page)."""
