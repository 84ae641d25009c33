"""crm agent."""
