"""AgentState semconv."""
