# Sourced by `make test` / `make bench`: use the environment's DATABASE_URL / REDIS_URL, else this
# machine's PostgreSQL and Redis when they answer, else SQLite with in-process tasks (the tests
# that need a real worker or PostgreSQL then say they were skipped and why).
if [ -z "${DATABASE_URL+x}" ] && command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/stockpledge"
fi
if [ -z "${REDIS_URL+x}" ] && command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  export REDIS_URL="redis://127.0.0.1:6379/0"
fi
echo "tests against: database=${DATABASE_URL:-sqlite (embedded)} broker=${REDIS_URL:-in-process}"
