"""HTTP routes of the history service."""
