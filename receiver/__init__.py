"""AgentState receiver."""
