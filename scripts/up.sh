#!/usr/bin/env bash
# Quick start, step one: installs what is needed, starts MariaDB/MySQL and Redis, migrates and seeds,
# starts the API and the worker in the background, and runs the main job on the sample data.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

command -v node >/dev/null 2>&1 || { echo "Node.js 20.19 or newer is needed: https://nodejs.org or 'apt-get install nodejs npm'" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) {console.error("Node.js 20.19 or newer is needed, found "+process.version); process.exit(1)}'

say "Installing npm dependencies"
npm ci --no-audit --no-fund --loglevel=error

bash scripts/services.sh

if [ ! -f .env ]; then
  say "Writing .env from .env.example (development keys; never use them in production)"
  cp .env.example .env
fi

say "Migrating and seeding the database"
npm run --silent db:migrate
npm run --silent db:seed

bash scripts/down.sh >/dev/null 2>&1 || true
mkdir -p var/log var/run
PORT=$(node -e 'try{process.loadEnvFile(".env")}catch{}; process.stdout.write(process.env.PORT||"3000")')
say "Starting the API on port $PORT and the worker (logs in var/log/)"
nohup node --import tsx src/server.ts >>var/log/api.log 2>&1 &
echo $! >var/run/api.pid
nohup node --import tsx jobs/worker.ts >>var/log/worker.log 2>&1 &
echo $! >var/run/worker.pid

for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "The API did not become ready; see var/log/api.log" >&2; exit 1; }

say "Running the main job on the sample data"
npx tsx scripts/demo.ts "http://127.0.0.1:$PORT"

say "Up. API: http://127.0.0.1:$PORT  (stop everything with: bash scripts/down.sh)"
