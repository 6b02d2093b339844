"""What the assistant remembers: conversations and feedback (SQLite or PostgreSQL)."""
