"""QA review of the bot's flagged calls: the queue, claims, decisions, figures, and teaching the bot."""
