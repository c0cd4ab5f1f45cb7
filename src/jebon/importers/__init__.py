"""Importers: articles written on other platforms (Brunch) → Markdown articles of a book."""
