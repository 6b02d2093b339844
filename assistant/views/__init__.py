"""Views of typed results: capability map, charts, country briefs, plain-text rendering."""
