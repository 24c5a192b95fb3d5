"""The dialogue: the brain every channel shares and the ledger-backed personal desk."""
