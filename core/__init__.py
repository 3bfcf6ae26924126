"""Cross-cutting pieces: typed settings."""
