#!/usr/bin/env bash
# Starts and stops the services that the daemon's end-to-end tests use:
# a systemd-journald when none responds, and an Apache httpd instance of its
# own (Debian's apache2 package) on a free loopback port.
#
#   scripts/services.sh start    start what is not running yet, then check both
#   scripts/services.sh stop     stop only the processes this script started
#   scripts/services.sh status   exit status 0 when both services respond
#
# start and stop are idempotent. State lives in $LEAFWATCH_SERVICES_DIR
# (default /tmp/leafwatch-services):
#   services.env      shell assignments the tests read: the port, paths and test users
#   journald.pid      the journald this script started; absent when another one was running
#   journald.log      that journald's own output
#   apache/           Apache's ServerRoot: httpd.conf, htdocs/, htpasswd, run/
#   apache/logs/      access.log (combined format) and error.log
#
# Apache runs with TZ=UTC, so that its error log, which has no UTC offset,
# is in UTC. Its workers run as www-data; the logs are opened by the root
# parent process with mode 0644.
set -euo pipefail

services_dir=${LEAFWATCH_SERVICES_DIR:-/tmp/leafwatch-services}
journald=/lib/systemd/systemd-journald
journal_socket=/run/systemd/journal/socket
apache_root=$services_dir/apache
apache_conf=$apache_root/httpd.conf
apache_logs=$apache_root/logs
apache_pid_file=$apache_root/run/apache.pid
env_file=$services_dir/services.env
modules=/usr/lib/apache2/modules

# Users in the basic-auth area, as NAME:PASSWORD.
test_users=(alice:alice-secret bob:bob-secret carol:carol-secret)

die() {
  echo "services.sh: $*" >&2
  exit 1
}

# Sends one entry through journald's native socket and reads it back with
# journalctl; returns 1 when it does not appear within 10 seconds.
journal_responds() {
  local marker
  marker=check-$$-$RANDOM$RANDOM
  # logger exits with status 0 even when the socket is missing.
  [[ -S $journal_socket ]] || return 1
  printf 'MESSAGE=leafwatch services check\nSYSLOG_IDENTIFIER=leafwatch-services\nLEAFWATCH_SERVICES_CHECK=%s\n' "$marker" \
    | logger --journald 2>/dev/null || return 1
  local attempt
  for attempt in $(seq 1 50); do
    if journalctl --no-pager -q -o cat "LEAFWATCH_SERVICES_CHECK=$marker" 2>/dev/null | grep -q 'leafwatch services check'; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# Prints the PID in FILE when that process still runs the program PROGRAM;
# a PID reused by another program counts as not running.
running_pid() {
  local file=$1 program=$2 pid
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # Compared after resolving links: on merged-/usr systems /lib/systemd is /usr/lib/systemd.
  [[ $(readlink -f "/proc/$pid/exe" 2>/dev/null) == "$(readlink -f "$program")" ]] || return 1
  echo "$pid"
}

start_journald() {
  if journal_responds; then
    return 0
  fi
  if running_pid "$services_dir/journald.pid" "$journald" >/dev/null; then
    die "the journald started here (PID $(<"$services_dir/journald.pid")) does not respond; see $services_dir/journald.log"
  fi
  [[ -x $journald ]] || die "'$journald' not found; install the systemd package"

  # journald removes a stale socket file before it binds its own.
  setsid "$journald" </dev/null >"$services_dir/journald.log" 2>&1 &
  echo $! >"$services_dir/journald.pid"
  # A stale socket file exists before journald binds its own, so a failed
  # check is repeated for a few seconds.
  local attempt
  for attempt in $(seq 1 20); do
    journal_responds && return 0
    sleep 0.25
  done
  journal_responds || die "journald (PID $(<"$services_dir/journald.pid")) does not return an entry written to it; see $services_dir/journald.log"
}

stop_journald() {
  local pid
  if pid=$(running_pid "$services_dir/journald.pid" "$journald"); then
    kill -TERM "$pid"
    wait_for_exit "$pid" journald
  fi
  rm -f "$services_dir/journald.pid"
}

# Waits up to 10 seconds for process PID to end.
wait_for_exit() {
  local pid=$1 name=$2 attempt
  for attempt in $(seq 1 100); do
    [[ -e /proc/$pid ]] || return 0
    sleep 0.1
  done
  die "$name (PID $pid) still runs 10 seconds after SIGTERM"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_apache_config() {
  local port=$1
  mkdir -p "$apache_root/htdocs/private" "$apache_logs" "$apache_root/run"
  chmod 755 "$services_dir" "$apache_root" "$apache_root/htdocs" "$apache_root/htdocs/private" "$apache_logs"
  echo "public page" >"$apache_root/htdocs/index.html"
  echo "private page" >"$apache_root/htdocs/private/index.html"

  : >"$apache_root/htpasswd"
  local entry
  for entry in "${test_users[@]}"; do
    htpasswd -b "$apache_root/htpasswd" "${entry%%:*}" "${entry#*:}" 2>/dev/null
  done
  # Workers run as www-data and read the password file for every login.
  chmod 644 "$apache_root/htpasswd"

  cat >"$apache_conf" <<EOF
# Apache instance for leafwatch's end-to-end tests, written by scripts/services.sh.
ServerRoot "$apache_root"
ServerName localhost
Listen 127.0.0.1:$port
PidFile "$apache_pid_file"
DefaultRuntimeDir "$apache_root/run"
Mutex file:$apache_root/run default
User www-data
Group www-data

LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authn_core_module $modules/mod_authn_core.so
LoadModule authn_file_module $modules/mod_authn_file.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule authz_user_module $modules/mod_authz_user.so
LoadModule auth_basic_module $modules/mod_auth_basic.so
LoadModule rewrite_module $modules/mod_rewrite.so
LoadModule dir_module $modules/mod_dir.so

# ServerLimit leaves slots for old workers that finish their requests
# after a graceful restart, which the log rotation tests cause.
StartServers 1
ServerLimit 4
ThreadsPerChild 16
MaxRequestWorkers 32
DirectoryIndex index.html

# AH01617 (wrong password) and AH01618 (unknown user) are written at level error.
LogLevel warn
ErrorLog "$apache_logs/error.log"
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
CustomLog "$apache_logs/access.log" combined

DocumentRoot "$apache_root/htdocs"
<Directory "$apache_root/htdocs">
    Require all granted
</Directory>
<Directory "$apache_root/htdocs/private">
    AuthType Basic
    AuthName "leafwatch test area"
    AuthBasicProvider file
    AuthUserFile "$apache_root/htpasswd"
    Require valid-user
</Directory>

# /boom responds with 500 Internal Server Error.
RewriteEngine On
RewriteRule "^/boom" "-" [R=500]
EOF
}

start_apache() {
  command -v apache2 >/dev/null || [[ -x /usr/sbin/apache2 ]] || die "apache2 not found; run scripts/deps.sh test"
  command -v htpasswd >/dev/null || die "htpasswd not found; run scripts/deps.sh test"
  if running_pid "$apache_pid_file" /usr/sbin/apache2 >/dev/null; then
    return 0
  fi

  local port
  port=$(free_port)
  write_apache_config "$port"
  TZ=UTC /usr/sbin/apache2 -f "$apache_conf" -k start || die "apache2 -f '$apache_conf' -k start failed; see $apache_logs/error.log"

  local attempt code=000
  for attempt in $(seq 1 50); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/index.html" || true)
    [[ $code == 200 ]] && break
    sleep 0.1
  done
  [[ $code == 200 ]] || die "Apache on 127.0.0.1:$port does not respond (last HTTP status $code); see $apache_logs/error.log"

  {
    echo "# Written by scripts/services.sh start."
    echo "LEAFWATCH_APACHE_PORT=$port"
    echo "LEAFWATCH_APACHE_CONF=$apache_conf"
    echo "LEAFWATCH_APACHE_LOGS=$apache_logs"
    echo "LEAFWATCH_APACHE_PID_FILE=$apache_pid_file"
    echo "LEAFWATCH_APACHE_USERS=\"${test_users[*]}\""
  } >"$env_file"
}

stop_apache() {
  local pid
  if pid=$(running_pid "$apache_pid_file" /usr/sbin/apache2); then
    TZ=UTC /usr/sbin/apache2 -f "$apache_conf" -k stop
    wait_for_exit "$pid" apache2
  fi
  rm -f "$env_file"
}

case ${1:-} in
  start)
    mkdir -p "$services_dir"
    start_journald
    start_apache
    echo "services.sh: journald responds; Apache listens on 127.0.0.1:$(grep -oP '^LEAFWATCH_APACHE_PORT=\K.*' "$env_file"), logs in $apache_logs"
    ;;
  stop)
    stop_apache
    stop_journald
    ;;
  status)
    journal_responds || die "journald does not respond; run scripts/services.sh start"
    running_pid "$apache_pid_file" /usr/sbin/apache2 >/dev/null || die "Apache is not running; run scripts/services.sh start"
    ;;
  *)
    echo "usage: services.sh start|stop|status" >&2
    exit 64
    ;;
esac
