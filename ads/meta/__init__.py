"""The Meta Marketing (Graph) API: a typed httpx client, its error mapping and usage-header pacing."""
