"""Channel adapters, one module per channel, behind the one Responder."""
