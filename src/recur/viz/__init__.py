"""Pictures of models and data (PNG through matplotlib's file-only Agg backend)."""
