"""The action journal: the one record of every platform write, and what reads it.

`WriteGuard` (platforms/write_safety.py) writes a row before each call and moves it through
intended → sent → applied → verified | unverified, or failed, or unknown. Recovery settles
what a dead process left open by reading the objects back; history and undo read the rows.
"""
