"""AgentState sdk/_internal."""
