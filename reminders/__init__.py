"""Reminders: who lacks what (policy), when to say it (scheduler), and a crash-safe outbox to send it."""
