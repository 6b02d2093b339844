"""What the corpus says: documents, passages, tables, value-chain facts, entities, taxonomy."""
