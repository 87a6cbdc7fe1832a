"""Ad-platform clients (Meta first); no Temporal, no FastAPI."""
