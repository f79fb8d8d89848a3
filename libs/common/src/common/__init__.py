"""Shared building blocks of every Mocksy service."""
