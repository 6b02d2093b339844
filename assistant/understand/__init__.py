"""Reading a question: names, intent, the typed reading (what is asked, about what, or why refused)."""
