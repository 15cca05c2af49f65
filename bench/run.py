#!/usr/bin/env python3
"""Load skl-cms and nginx with wrk over loopback, interleaved, and print what each costs.

Both serve the same page: skl-cms from its render cache, nginx from a file (and, for gzip, from a
pre-compressed copy with gzip_static). For each run the servers' CPU time is read from /proc before and
after, so CPU per request is measured, not guessed. Started by bench/run.sh, which builds and installs.
"""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "skl-cms")
PAGE = os.environ.get("PAGE", "/om-oss")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
DURATION = int(os.environ.get("DURATION", "10"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
THREADS = int(os.environ.get("THREADS", "2"))
WARMUP = int(os.environ.get("WARMUP", "3"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    """User plus system CPU time of the given processes, in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except FileNotFoundError:
            pass
    return total / CLOCK_TICKS


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


def start_skl(workdir):
    port = free_port()
    env = dict(os.environ, SKL_DATABASE=os.path.join(workdir, "bench.db"), RUST_LOG="warn")
    started = time.perf_counter()
    process = subprocess.Popen([BINARY, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                               stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}{PAGE}"
    while True:
        try:
            fetch(url)
            break
        except OSError:
            if time.perf_counter() - started > 30:
                raise SystemExit("skl-cms did not answer within 30 s")
            time.sleep(0.001)
    startup_ms = (time.perf_counter() - started) * 1000
    return process, port, startup_ms


def start_nginx(workdir, plain, gzipped):
    www = os.path.join(workdir, "www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "page.html"), "wb") as f:
        f.write(plain)
    with open(os.path.join(www, "page.html.gz"), "wb") as f:
        f.write(gzipped)
    port = free_port()
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes auto;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=100 inactive=60s;
    types {{ text/html html; }}
    gzip off;
    gzip_static on;
    gzip_vary on;
    client_body_temp_path {workdir}/tmp;
    proxy_temp_path {workdir}/tmp;
    fastcgi_temp_path {workdir}/tmp;
    uwsgi_temp_path {workdir}/tmp;
    scgi_temp_path {workdir}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {www};
        location = /page {{ default_type text/html; try_files /page.html =404; }}
    }}
}}
""")
    os.makedirs(os.path.join(workdir, "tmp"), exist_ok=True)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([nginx, "-c", conf, "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/page"
    deadline = time.time() + 10
    while True:
        try:
            if fetch(url) == plain:
                break
        except OSError:
            pass
        if time.time() > deadline:
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=10)
            with open(os.path.join(workdir, "nginx-error.log")) as log:
                raise SystemExit("nginx did not serve the page:\n" + log.read())
        time.sleep(0.01)
    return process, port


def process_tree(pid):
    """The process and its children (nginx's workers)."""
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(child) for child in f.read().split()]
    except FileNotFoundError:
        pass
    return pids


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, pids, gzip, duration=DURATION):
    args = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency"]
    if gzip:
        args += ["-H", "Accept-Encoding: gzip"]
    before = cpu_seconds(pids)
    output = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pids) - before
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = to_ms(*re.search(r"50%\s+([\d.]+)(us|ms|s)", output).groups())
    p99 = to_ms(*re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups())
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", output)
    if errors:
        print(f"  warning: {errors.group(0)} from {url}", file=sys.stderr)
    return {"rps": rps, "p50": p50, "p99": p99, "cpu_us": cpu / requests * 1e6}


def main():
    if not os.path.exists(BINARY):
        raise SystemExit("build first: cargo build --release (bench/run.sh does)")
    workdir = tempfile.mkdtemp(prefix="skl-bench-")
    # nginx's workers run as an unprivileged user and must be able to read the page.
    os.chmod(workdir, 0o755)
    skl, skl_port, startup_ms = start_skl(workdir)
    nginx = None
    try:
        skl_url = f"http://127.0.0.1:{skl_port}{PAGE}"
        plain = fetch(skl_url)
        import gzip as gz

        gzipped = gz.compress(plain, compresslevel=9)
        nginx, nginx_port = start_nginx(workdir, plain, gzipped)
        nginx_url = f"http://127.0.0.1:{nginx_port}/page"
        assert fetch(skl_url, {"Accept-Encoding": "gzip"}) != plain, "skl-cms sends gzip when asked"

        print(f"page {PAGE}: {len(plain)} bytes plain; {WARMUP} s warm-up, {ROUNDS} rounds of {DURATION} s, "
              f"{CONNECTIONS} connections, {THREADS} wrk threads, {os.cpu_count()} cores")
        # A first run finds both servers cold (threads to start, memory to map); it is not counted.
        for url, pid in ((skl_url, skl.pid), (nginx_url, nginx.pid)):
            for gzip in (False, True):
                wrk(url, process_tree(pid), gzip, duration=WARMUP)
        results = {}
        for round_number in range(ROUNDS):
            for encoding in ("plain", "gzip"):
                for name, url, pid in (("skl-cms", skl_url, skl.pid), ("nginx", nginx_url, nginx.pid)):
                    result = wrk(url, process_tree(pid), encoding == "gzip")
                    results.setdefault((name, encoding), []).append(result)
                    print(f"  round {round_number + 1} {encoding:5} {name:8} {result['rps']:10.0f} req/s  "
                          f"p50 {result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms  "
                          f"{result['cpu_us']:6.1f} µs CPU/req")
        rss = rss_mib(skl.pid)

        def median(name, encoding, key):
            return statistics.median(run[key] for run in results[(name, encoding)])

        print()
        print("median of rounds   server      req/s   p50 ms   p99 ms  CPU µs/req")
        for encoding in ("plain", "gzip"):
            for name in ("skl-cms", "nginx"):
                print(f"  {encoding:16} {name:8} {median(name, encoding, 'rps'):9.0f} "
                      f"{median(name, encoding, 'p50'):8.2f} {median(name, encoding, 'p99'):8.2f} "
                      f"{median(name, encoding, 'cpu_us'):11.1f}")
            throughput = median("skl-cms", encoding, "rps") / median("nginx", encoding, "rps")
            cpu = median("skl-cms", encoding, "cpu_us") / median("nginx", encoding, "cpu_us")
            print(f"  {encoding:16} ratio     throughput {throughput:.2f}x nginx (target >= 0.90), "
                  f"CPU/request {cpu:.2f}x nginx (target <= 1.20)")
        print()
        print(f"start to first response: {startup_ms:.0f} ms (target <= 100 ms, fresh database, seeding included)")
        print(f"resident memory after load: {rss:.1f} MiB (target <= 40 MiB)")
    finally:
        skl.send_signal(signal.SIGTERM)
        if nginx:
            nginx.send_signal(signal.SIGQUIT)
        skl.wait(timeout=10)
        if nginx:
            nginx.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
