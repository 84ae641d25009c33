"""Graph API sandbox: an emulator of the Marketing API paths, errors, paging and insights."""
