#!/usr/bin/env bash
# Make sure Redis, PostgreSQL and MariaDB are reachable, and that the databases exist.
#
#   bash scripts/ensure-services.sh [extra-database ...]
#
# For each service: use it if it is reachable; if its host is local (127.0.0.1/localhost) start it
# when it is installed but stopped, or install it from Debian packages when it is missing. A remote
# host is only checked. Then create DATABASE_NAME (and every database named on the command line)
# if it does not exist yet. MariaDB (or MySQL) serves the tests of `database` sources: it is made
# reachable on MYSQL_HOST:MYSQL_PORT with the user root and no password (a local, test-only server).
# Idempotent; safe to run while the services are in use.
#
# Environment (the same names the apps read):
#   REDIS_HOST (127.0.0.1)  REDIS_PORT (6379)
#   DATABASE_HOST (127.0.0.1)  DATABASE_PORT (5432)  DATABASE_USER (postgres)
#   DATABASE_PASSWORD (postgres)  DATABASE_NAME (dataproc)
#   MYSQL_HOST (127.0.0.1)  MYSQL_PORT (3306)  ENSURE_MYSQL (0; npm test sets 1)
#   SERVICES_WAIT_SECONDS (30): how long to wait for a service that was just started.
set -euo pipefail

REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"
DATABASE_HOST="${DATABASE_HOST:-127.0.0.1}"
DATABASE_PORT="${DATABASE_PORT:-5432}"
DATABASE_USER="${DATABASE_USER:-postgres}"
DATABASE_PASSWORD="${DATABASE_PASSWORD:-postgres}"
DATABASE_NAME="${DATABASE_NAME:-dataproc}"
MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
ENSURE_MYSQL="${ENSURE_MYSQL:-0}"
WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-30}"

die() {
  printf 'ensure-services: %s\n' "$*" >&2
  exit 1
}

is_local_host() {
  case "$1" in
    127.0.0.1 | localhost | ::1) return 0 ;;
    *) return 1 ;;
  esac
}

have() { command -v "$1" >/dev/null 2>&1; }

# Is something accepting TCP connections on host:port? (bash's /dev/tcp, no client tools needed)
tcp_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
}

# Run a command as root: directly, or through sudo without a password prompt.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif have sudo; then
    sudo -n "$@"
  else
    return 1
  fi
}

# Run a command as the postgres OS user (peer authentication over the Unix socket).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif [ "$(id -u)" -eq 0 ] && have runuser; then
    runuser -u postgres -- "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
  elif have sudo; then
    sudo -n -u postgres "$@"
  else
    return 1
  fi
}

APT_UPDATED=0
# apt_install WHAT PACKAGE...: install Debian packages (apt-get update at most once per run).
apt_install() {
  local what="$1"
  shift
  have apt-get || die "$what is not installed and apt-get is not available; install $* yourself"
  if [ "$(id -u)" -ne 0 ] && ! { have sudo && sudo -n true 2>/dev/null; }; then
    die "$what is not installed and installing it needs root (or password-less sudo): apt-get install -y $*"
  fi
  echo "$what: installing $* with apt-get ..."
  if [ "$APT_UPDATED" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
      || die "$what: apt-get update failed"
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" \
    || die "$what: apt-get install -y $* failed"
}

# wait_until SECONDS COMMAND...: retry COMMAND once a second until it succeeds or time runs out.
wait_until() {
  local seconds="$1"
  shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# ---------------------------------------------------------------------------------------- Redis

redis_ping() {
  if have redis-cli; then
    [ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
  else
    tcp_open "$REDIS_HOST" "$REDIS_PORT"
  fi
}

redis_warn_eviction() {
  have redis-cli || return 0
  local policy
  policy="$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" config get maxmemory-policy 2>/dev/null | sed -n 2p)" || true
  if [ -n "$policy" ] && [ "$policy" != noeviction ]; then
    echo "redis: warning: maxmemory-policy is '$policy'; Bull needs 'noeviction'" >&2
  fi
}

ensure_redis() {
  local where="$REDIS_HOST:$REDIS_PORT"
  if redis_ping; then
    echo "redis: reachable at $where"
    redis_warn_eviction
    return 0
  fi
  if ! is_local_host "$REDIS_HOST"; then
    die "redis: not reachable at $where (remote host: start it there, or fix REDIS_HOST/REDIS_PORT)"
  fi
  if tcp_open "$REDIS_HOST" "$REDIS_PORT"; then
    die "redis: something listens on $where but does not answer PING like a Redis server"
  fi

  local action=started
  if ! have redis-server; then
    apt_install redis redis-server
    have redis-server || die "redis: redis-server is still missing after apt-get install"
    action="installed and started"
    # The package may have started a server of its own on the default port.
    if wait_until 3 redis_ping; then
      echo "redis: installed, reachable at $where"
      redis_warn_eviction
      return 0
    fi
  fi

  local tmp="${TMPDIR:-/tmp}"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save "" --appendonly no --maxmemory-policy noeviction \
    --dir "$tmp" --pidfile "$tmp/dataproc-redis-$REDIS_PORT.pid" \
    --logfile "$tmp/dataproc-redis-$REDIS_PORT.log" \
    || die "redis: redis-server failed to start on port $REDIS_PORT"
  wait_until "$WAIT_SECONDS" redis_ping \
    || die "redis: started redis-server but $where did not answer PING within ${WAIT_SECONDS}s (log: $tmp/dataproc-redis-$REDIS_PORT.log)"
  echo "redis: $action at $where"
}

# ------------------------------------------------------------------------------------- Postgres

pg_ready() {
  if have pg_isready; then
    pg_isready -q -h "$DATABASE_HOST" -p "$DATABASE_PORT" -t 3 >/dev/null 2>&1
  else
    tcp_open "$DATABASE_HOST" "$DATABASE_PORT"
  fi
}

pg_server_installed() {
  have pg_ctlcluster && have pg_lsclusters && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

# Newest installed server version, e.g. "15".
pg_newest_version() {
  local dir versions=()
  for dir in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$dir" ] || continue
    dir="${dir#/usr/lib/postgresql/}"
    versions+=("${dir%%/*}")
  done
  [ "${#versions[@]}" -gt 0 ] || return 1
  printf '%s\n' "${versions[@]}" | sort -V | tail -n 1
}

# Prints "version name status" of the cluster configured for DATABASE_PORT, if any.
pg_cluster_on_port() {
  pg_lsclusters --no-header 2>/dev/null | awk -v port="$DATABASE_PORT" '$3 == port { print $1, $2, $4; exit }'
}

ensure_postgres() {
  local where="$DATABASE_HOST:$DATABASE_PORT"
  if pg_ready; then
    echo "postgres: reachable at $where"
    return 0
  fi
  if ! is_local_host "$DATABASE_HOST"; then
    die "postgres: not reachable at $where (remote host: start it there, or fix DATABASE_HOST/DATABASE_PORT)"
  fi

  local installed=0
  if ! pg_server_installed; then
    apt_install postgres postgresql postgresql-client
    pg_server_installed || die "postgres: server is still missing after apt-get install"
    installed=1
  fi

  local cluster version name status action
  cluster="$(pg_cluster_on_port)"
  if [ -z "$cluster" ]; then
    if [ -n "$(pg_lsclusters --no-header 2>/dev/null)" ]; then
      die "postgres: no cluster is configured for port $DATABASE_PORT; existing clusters (version name port status):
$(pg_lsclusters --no-header | awk '{ print "  " $1, $2, $3, $4 }')
  set DATABASE_PORT to one of them, or create one: pg_createcluster <version> <name> --port $DATABASE_PORT"
    fi
    version="$(pg_newest_version)" || die "postgres: no server binaries found under /usr/lib/postgresql"
    as_root pg_createcluster "$version" main --port "$DATABASE_PORT" >/dev/null \
      || die "postgres: pg_createcluster $version main --port $DATABASE_PORT failed"
    cluster="$(pg_cluster_on_port)"
    [ -n "$cluster" ] || die "postgres: created cluster $version/main but it is not listed on port $DATABASE_PORT"
  fi
  read -r version name status <<<"$cluster"

  action="started cluster $version/$name"
  [ "$installed" -eq 0 ] || action="installed and started cluster $version/$name"
  local out=""
  if [ "$status" != online ]; then
    # Another run may be starting it at the same moment: the readiness wait below decides.
    out="$(as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start 2>&1)" || true
  fi
  if ! wait_until "$WAIT_SECONDS" pg_ready; then
    [ -z "$out" ] || printf '%s\n' "$out" >&2
    die "postgres: cluster $version/$name did not accept connections at $where within ${WAIT_SECONDS}s (log: /var/log/postgresql/postgresql-$version-$name.log)"
  fi
  echo "postgres: $action at $where"
}

# psql as the configured user over TCP; SQL comes from stdin so psql variables are interpolated.
app_psql() {
  PGPASSWORD="$DATABASE_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -t -A -v ON_ERROR_STOP=1 \
    -h "$DATABASE_HOST" -p "$DATABASE_PORT" -U "$DATABASE_USER" -d postgres "$@"
}

# Make sure the configured user can log in over TCP. On a local cluster whose credentials do not
# match (a fresh Debian install uses scram authentication and sets no password), create the role or
# set its password through the postgres OS user.
ensure_login() {
  local err
  if err="$(app_psql <<<'SELECT 1' 2>&1 >/dev/null)"; then
    return 0
  fi
  if ! is_local_host "$DATABASE_HOST"; then
    die "postgres: cannot log in to $DATABASE_HOST:$DATABASE_PORT as $DATABASE_USER: $err"
  fi
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$DATABASE_PORT" -d postgres \
    -v user="$DATABASE_USER" -v password="$DATABASE_PASSWORD" >/dev/null <<'SQL' \
    || die "postgres: cannot log in as $DATABASE_USER ($err), and setting its password as the postgres OS user failed"
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') AS missing \gset
\if :missing
CREATE ROLE :"user" LOGIN SUPERUSER;
\endif
ALTER ROLE :"user" WITH LOGIN PASSWORD :'password';
SQL
  echo "postgres: role $DATABASE_USER can now log in with the configured password"
  err="$(app_psql <<<'SELECT 1' 2>&1 >/dev/null)" \
    || die "postgres: still cannot log in to $DATABASE_HOST:$DATABASE_PORT as $DATABASE_USER: $err"
}

db_exists() {
  [ "$(app_psql -v db="$1" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" = 1 ]
}

# CREATE DATABASE cannot run inside a transaction: psql sends each stdin statement on its own.
ensure_database() {
  local db="$1" err
  if db_exists "$db"; then
    echo "postgres: database $db exists"
    return 0
  fi
  if err="$(app_psql -v db="$db" <<<'CREATE DATABASE :"db"' 2>&1 >/dev/null)"; then
    echo "postgres: created database $db"
  elif db_exists "$db"; then
    echo "postgres: database $db exists (created concurrently)"
  else
    die "postgres: could not create database $db: $err"
  fi
}

ensure_psql() {
  have psql && return 0
  apt_install postgres postgresql-client
  have psql || die "postgres: psql is still missing after apt-get install postgresql-client"
}

# -------------------------------------------------------------------------------------- MariaDB

mysql_client() {
  if have mariadb; then mariadb "$@"; else mysql "$@"; fi
}

mysql_login() {
  mysql_client --protocol=TCP -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root --connect-timeout=3 -e 'SELECT 1' >/dev/null 2>&1
}

mysql_server_installed() {
  have mariadbd || have mysqld || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]
}

ensure_mysql() {
  local where="$MYSQL_HOST:$MYSQL_PORT"
  if tcp_open "$MYSQL_HOST" "$MYSQL_PORT"; then
    echo "mariadb: reachable at $where"
  else
    is_local_host "$MYSQL_HOST" \
      || die "mariadb: not reachable at $where (remote host: start it there, or fix MYSQL_HOST/MYSQL_PORT)"
    local action=started
    if ! mysql_server_installed; then
      apt_install mariadb mariadb-server mariadb-client
      action="installed and started"
    fi
    if ! wait_until 3 tcp_open "$MYSQL_HOST" "$MYSQL_PORT"; then
      # No systemd on these machines: the init script, else the server's own wrapper in the background.
      as_root service mariadb start >/dev/null 2>&1 \
        || as_root sh -c "nohup mysqld_safe --bind-address=127.0.0.1 --port=$MYSQL_PORT >/dev/null 2>&1 &" \
        || die "mariadb: could not start the server"
    fi
    wait_until "$WAIT_SECONDS" tcp_open "$MYSQL_HOST" "$MYSQL_PORT" \
      || die "mariadb: the server did not accept connections at $where within ${WAIT_SECONDS}s"
    echo "mariadb: $action at $where"
  fi
  mysql_login && return 0
  is_local_host "$MYSQL_HOST" || die "mariadb: cannot log in to $where as root without a password"
  # A fresh Debian install lets root in only through the Unix socket: allow it over TCP, no password
  # (a local test server; the apps never use root).
  as_root sh -c "$(command -v mariadb || command -v mysql) -u root" >/dev/null <<'SQL' \
    || die "mariadb: cannot log in as root over TCP, and granting it through the socket failed"
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
FLUSH PRIVILEGES;
SQL
  mysql_login || die "mariadb: still cannot log in to $where as root without a password"
  echo "mariadb: root can now log in over TCP"
}

ensure_redis
ensure_postgres
ensure_psql
ensure_login
declare -A seen=()
for db in "$DATABASE_NAME" "$@"; do
  [ -n "$db" ] || continue
  [ -z "${seen[$db]:-}" ] || continue
  seen[$db]=1
  ensure_database "$db"
done
[ "$ENSURE_MYSQL" = 0 ] || ensure_mysql
