"""Mocksy voice-agent service: LiveKit rooms and join tokens, the interviewer worker that conducts the interview and records the transcript; publishes SessionCompleted."""
