"""The demo business (a dental clinic): a deterministic world generator and its database seed."""
