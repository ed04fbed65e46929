"""Route plans, meetings and their lifecycle, reminder calls."""
