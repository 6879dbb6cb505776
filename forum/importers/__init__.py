"""Importers that move another site's content into the forum (Question2Answer, Stack Exchange)."""
