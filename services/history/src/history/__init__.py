"""Mocksy history: attempts, feedback, progress over time and recurring weak areas."""
