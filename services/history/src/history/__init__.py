"""Mocksy history service: read models of interviews, attempts and feedback; progress over time and recurring weak areas."""
