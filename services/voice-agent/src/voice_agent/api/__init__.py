"""HTTP API of the voice agent: the candidate's sessions."""
