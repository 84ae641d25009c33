"""Meta (Facebook/Instagram) Marketing API adapter."""
