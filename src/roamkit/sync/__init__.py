"""Moving data between nodes: the push outbox and its worker, and pull sync."""
