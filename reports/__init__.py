"""Figures for managers and reps' rewards: aggregate queries in plain functions, the API, CSV, the dashboard."""
