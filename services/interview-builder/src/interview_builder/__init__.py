"""Mocksy interview builder: setup by chat, question bank, generation, InterviewCreated."""
