"""AgentState api."""
