"""ads agent."""
