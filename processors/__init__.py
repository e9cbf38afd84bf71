"""AgentState processors."""
