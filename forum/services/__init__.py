"""Business rules; views and CLI commands call these, then commit once."""
