"""The HTTP API: setup chats and interviews, owner only."""
