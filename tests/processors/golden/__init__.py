"""Golden fixtures: today's normaliser output over every shared OTLP span, kept to catch drift."""
