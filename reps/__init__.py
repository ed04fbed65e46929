"""The rep's day: tasks and their deadlines (reminder calls among them); the morning check comes next."""
