"""What the routes call: the logic of a feature, on a session, with no HTTP in it."""
