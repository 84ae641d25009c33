"""whatsapp agent."""
