"""Mocksy scoring service: turns a transcript into explainable feedback; publishes FeedbackReady."""
