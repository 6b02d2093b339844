"""Adapters that expose REE Assistant to other frameworks (each imports its framework only when used)."""
