"""The LiveKit interviewer worker: the conductor's policy spoken in a room."""
