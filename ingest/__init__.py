"""PDF reports -> pages -> chunks -> vectors -> the knowledge base on disk."""
