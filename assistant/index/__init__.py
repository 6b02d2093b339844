"""The search index: embeddings, the vector and keyword stores, incremental indexing, retrieval."""
