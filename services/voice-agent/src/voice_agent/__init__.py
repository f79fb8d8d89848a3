"""Mocksy voice agent: LiveKit rooms and the interviewer worker; publishes SessionCompleted."""
