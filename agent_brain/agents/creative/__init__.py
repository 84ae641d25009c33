"""creative agent."""
