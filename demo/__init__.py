"""Demo data for a newcomer: one user per role, two reps with today's routes, the default script."""
