#!/bin/sh
# Refuse to start the stack with a missing, example or weak secret, and say which one.
# Run by the `preflight` service of docker-compose.yml before anything else starts; also runnable by
# hand: `env $(cat deploy/.env | xargs) sh deploy/preflight.sh`.
bad=0
check() {  # name value min_length
  case "$2" in
    "") echo "refusing to start: $1 is empty (set it in deploy/.env)"; bad=1; return ;;
    change-me*|CHANGE-ME*|changeme*|example*|password|secret|admin|grafana|agentstate)
      echo "refusing to start: $1 still has the example value '$2' (replace it in deploy/.env)"; bad=1; return ;;
  esac
  if [ "${#2}" -lt "$3" ]; then
    echo "refusing to start: $1 is shorter than $3 characters"; bad=1
  fi
}
check AGENTSTATE_SECRET_KEY "$AGENTSTATE_SECRET_KEY" 32
check REDIS_PASSWORD "$REDIS_PASSWORD" 16
check CLICKHOUSE_PASSWORD "$CLICKHOUSE_PASSWORD" 16
check CLICKHOUSE_READONLY_PASSWORD "$CLICKHOUSE_READONLY_PASSWORD" 16
check POSTGRES_PASSWORD "$POSTGRES_PASSWORD" 16
check AGENTSTATE_ADMIN_PASSWORD "$AGENTSTATE_ADMIN_PASSWORD" 12
check GRAFANA_ADMIN_PASSWORD "$GRAFANA_ADMIN_PASSWORD" 12
case "$ALLOWED_ORIGINS" in
  *"*"*) echo "refusing to start: ALLOWED_ORIGINS must list origins, not '*'"; bad=1 ;;
esac
[ "$bad" = 0 ] && echo "preflight: secrets set"
exit "$bad"
