"""The knowledge base -> a question's ranked passages -> an answer with citations."""
