"""LLM agents: a local Hugging Face causal LM deciding from text, and its interventions."""
