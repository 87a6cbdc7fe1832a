"""Operations: metrics, traces and logs, shared by the API, the worker and the CLI."""
