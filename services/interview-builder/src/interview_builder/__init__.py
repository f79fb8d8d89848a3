"""Mocksy interview-builder service: conversational interview setup, the question bank, interview generation, metadata and retakes; publishes InterviewCreated."""
