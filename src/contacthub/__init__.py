"""ContactHub: the contacts backend for conversational businesses."""
