"""Demo content (pure data preparation, standard library only) for the seed service."""
