#!/usr/bin/env bash
# Makes sure MariaDB/MySQL and Redis answer on 127.0.0.1: starts them when installed, installs them
# from the OS packages when missing (Debian/Ubuntu, as root or with sudo), or stops with a clear message.
set -euo pipefail

DB_HOST=127.0.0.1
DB_PORT=3306
REDIS_PORT=6379

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1
  fi
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() {
  for _ in $(seq 1 60); do
    port_open "$1" "$2" && return 0
    sleep 0.5
  done
  return 1
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  say "Installing $* from the OS packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" || return 1
}

start_database() {
  local daemon
  daemon=$(command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -n1 || true)
  if [ -z "$daemon" ]; then
    apt_install mariadb-server || die "MariaDB/MySQL is not installed and could not be installed here. Install MariaDB 10.6+ or MySQL 8 listening on 127.0.0.1:3306 (or run 'docker compose up -d'), then run this again."
    daemon=$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null | head -n1 || true)
  fi
  say "Starting the database server ($daemon)"
  as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  if command -v service >/dev/null 2>&1 && as_root service mariadb start >/dev/null 2>&1; then :
  elif command -v start-stop-daemon >/dev/null 2>&1; then as_root start-stop-daemon --start --oknodo --background --exec "$daemon" -- --user=mysql
  else as_root "$daemon" --user=mysql >/dev/null 2>&1 &
  fi
  wait_for_port "$DB_HOST" "$DB_PORT" || die "The database server did not start on $DB_HOST:$DB_PORT"
}

allow_root_over_tcp() {
  # Debian's MariaDB lets root in only through the local socket; the service connects over TCP.
  command -v mariadb >/dev/null 2>&1 || return 0
  if ! mariadb -h "$DB_HOST" -P "$DB_PORT" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    say "Allowing root@localhost to connect over TCP with an empty password (development only)"
    as_root mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')" ||
      die "Could not let root connect over TCP. Set DATABASE_URL in .env to a user that can."
  fi
}

start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server || die "Redis is not installed and could not be installed here. Install Redis 7 listening on 127.0.0.1:6379 (or run 'docker compose up -d'), then run this again."
  fi
  say "Starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/citizen-card-redis.log >/dev/null
  wait_for_port 127.0.0.1 "$REDIS_PORT" || die "Redis did not start on 127.0.0.1:$REDIS_PORT"
}

if port_open "$DB_HOST" "$DB_PORT"; then say "Database server is up on $DB_HOST:$DB_PORT"; else start_database; fi
allow_root_over_tcp
if port_open 127.0.0.1 "$REDIS_PORT"; then say "Redis is up on 127.0.0.1:$REDIS_PORT"; else start_redis; fi
