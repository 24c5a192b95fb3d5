"""The kernel every package may import: clock, settings, message types, personal-data normalising and masking. It imports nothing of ours."""
