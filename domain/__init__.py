"""Pure logic: priors, bandit, rules, platform specs, triggers. No I/O, no clock, no global RNG."""
