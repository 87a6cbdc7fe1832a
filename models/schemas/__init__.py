"""API bodies and workflow/activity I/O, one module per feature (a model exists once)."""
