"""Tools: typed declarations (registry), the context handlers run with, shared argument types."""
