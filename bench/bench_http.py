"""HTTP side of the benchmark: gunicorn as in production, sessions, page weight, wrk and its output."""
import gzip
import http.client
import os
import re
import signal
import subprocess
import time
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from bench_data import ROOT, log

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
#: Strings in the server's log that fail a row: lock errors, deadlocks, unhandled errors.
LOG_ERRORS = ("database is locked", "deadlock", "could not serialize", "Traceback", "incident",
              "OperationalError", "[CRITICAL]", "WORKER TIMEOUT")


class Server:
    """gunicorn serving wsgi:app on 127.0.0.1:<port> with the given environment."""

    def __init__(self, env, workers, port, log_path):
        self.env, self.workers, self.port, self.log_path = env, workers, port, Path(log_path)
        self.process = None

    def start(self):
        self.log_path.write_text("")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
             "--error-logfile", str(self.log_path), "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")
            try:
                if fetch(self.port, "/robots.txt").status == 200 and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def worker_pids(self):
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def worker_rss_mb(self):
        """Mean resident memory of the workers, in MB (VmRSS from /proc)."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sum(sizes) / len(sizes) if sizes else None

    def cpu_seconds(self):
        """CPU time (user + system) the workers have used so far, from /proc/<pid>/stat."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / ticks

    def log_offset(self):
        return self.log_path.stat().st_size

    def log_errors(self, since=0):
        """Lines of the server log written after ``since`` that name an error."""
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            handle.seek(since)
            return [line.rstrip() for line in handle if any(word in line for word in LOG_ERRORS)]


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")


def fetch(port, path, cookies=None, form=None):
    """One request to the server; ``form`` makes it a POST. Returns a Response."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Encoding": "identity"}
    if cookies:
        headers["Cookie"] = cookie_header(cookies)
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request("POST" if form is not None else "GET", path, body=body, headers=headers)
        response = conn.getresponse()
        result = Response(response.status, response.getheaders(), response.read())
    finally:
        conn.close()
    if cookies is not None:
        for name, value in result.headers:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    cookies[morsel.key] = morsel.value
    return result


def cookie_header(cookies):
    return "; ".join(f"{key}={value}" for key, value in cookies.items())


class _Forms(HTMLParser):
    """Collect each form's action and its named inputs' values."""

    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "textarea") and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio", "submit") and "checked" not in attrs:
                return
            self._current["fields"][attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def form_fields(html, action_pattern):
    """The fields of the first form whose action matches ``action_pattern``, and its action."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if re.search(action_pattern, form["action"]):
            return form["action"], form["fields"]
    raise SystemExit(f"no form with action matching {action_pattern!r} on the page")


def log_in(port, username, password):
    """Log in through the real form; return the cookies of the member's session."""
    cookies = {}
    page = fetch(port, "/login", cookies)
    _, fields = form_fields(page.text, r"/login")
    fields.update(username=username, password=password)
    fields.pop("remember", None)
    response = fetch(port, "/login", cookies, form=fields)
    if response.status not in (302, 303):
        raise SystemExit(f"logging in as {username} answered {response.status}, not a redirect")
    # Follow the redirect, as a browser does: the page it leads to shows the messages the
    # login left (the benchmark's password is "weaker than this site asks for"). Without
    # this every measured request would carry that message, unseen, and show it again.
    location = urlsplit(dict((k.lower(), v) for k, v in response.headers)["location"])
    fetch(port, location.path + (f"?{location.query}" if location.query else ""), cookies)
    return cookies


def warm(port, path, cookies=None, count=16):
    """Send ``count`` requests at once and wait for every answer, so each worker has
    compiled its templates and filled its caches before the page is measured."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(lambda _: fetch(port, path, dict(cookies) if cookies else None).status,
                                 range(count)))
    if any(status >= 400 for status in statuses):
        raise SystemExit(f"{path} answered {sorted(set(statuses))} while warming up")


def page_weight(port, path, cookies=None):
    """Bytes of the page and of the CSS and JS it loads: (raw, gzipped), gzip level 6."""
    page = fetch(port, path, dict(cookies) if cookies else None)
    bodies = [page.body]
    assets = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', page.text)
    assets += re.findall(r'<script[^>]+src="([^"]+)"', page.text)
    for asset in assets:
        bodies.append(fetch(port, urljoin(path, asset)).body)
    return sum(map(len, bodies)), sum(len(gzip.compress(body, 6)) for body in bodies)


def parse_duration_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output):
    """Requests/s, p50, p99 (ms), requests, and non-2xx/3xx plus socket errors from wrk --latency."""
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
              "requests": int(re.search(r"(\d+) requests in", output).group(1))}
    for label, key in (("50%", "p50"), ("99%", "p99")):
        match = re.search(rf"^\s+{re.escape(label)}\s+(\S+)", output, re.M)
        result[key] = parse_duration_ms(match.group(1)) if match else None
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non2xx"] = int(bad.group(1)) if bad else 0
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = sum(map(int, sockets.groups())) if sockets else 0
    return result


def run_wrk(port, path, seconds, threads=2, connections=16, headers=(), script=None, env=None):
    """Run wrk against the page and return parse_wrk's figures (plus the raw output)."""
    # A 30 s timeout (wrk's default is 2 s), so slow answers are measured, not dropped.
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{port}{path}")
    done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, **(env or {})),
                          timeout=seconds + 60)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    result = parse_wrk(done.stdout)
    result["output"] = done.stdout
    return result


def ensure_wrk():
    """wrk from Debian's package: install it when missing and allowed (root), else say how."""
    if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0:
        return
    if os.geteuid() == 0:
        log("wrk is missing: installing Debian's package (apt-get install -y wrk) ...")
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)
        if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0:
            return
    raise SystemExit("wrk is not installed. Install Debian's package: sudo apt-get install wrk")
