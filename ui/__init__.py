"""AgentState ui."""
