"""Measures what closes the operator's loop, against a running capacityd (scripts/lib/bench-loop.sh starts it):

  latency  URL RECEIVER_LOG N    PATCH -> the receiver's verified delivery, per change: median and p99 (ms)
  wake     URL N [PATCH_URL]     PATCH sent (to PATCH_URL, another instance, or URL) -> a waiting long-poll's 200
                                 on the same id: median and p99 (ms)
  waiters  URL COUNT PID         RSS of capacityd with COUNT long-polls waiting (MiB), then lets them go

Changes are spaced so each is measured alone, not queued behind the others: this is latency, not throughput.
"""
import http.client, json, socket, statistics, sys, threading, time
from urllib.parse import urlparse


def connection(url):
    parsed = urlparse(url)
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)


def patch(conn, path, desired):
    body = json.dumps({"desiredCapacity": desired})
    conn.request("PATCH", path, body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status, response.getheader("ETag")


def percentiles(values):
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(len(values) * 0.99))]


def latency(url, log, count):
    conn = connection(url)
    acknowledged = {}
    for index in range(count):
        status, etag = patch(conn, "/v1/scalableTargetDimensions/latency", 2 + index % 50)
        assert status == 200, status
        acknowledged[int(etag.strip('"'))] = time.time()
        time.sleep(0.01)
    deadline = time.time() + 60
    received = {}
    while time.time() < deadline and len(received) < count:
        received = {}
        for line in open(log):
            entry = json.loads(line)
            if entry["verified"]:
                received[json.loads(entry["body"])["data"]["revision"]] = entry["received"]
        time.sleep(0.2)
    delays = [(received[r] - t) * 1000 for r, t in acknowledged.items() if r in received]
    median, p99 = percentiles(delays)
    print(f"{len(delays)} of {count} changes delivered and verified; PATCH 200 -> receiver: median {median:.1f} ms, p99 {p99:.1f} ms")


def wake(url, count, patch_url):
    path = "/v1/scalableTargetDimensions/wake"
    conn = connection(patch_url)
    _, etag = patch(conn, path, 1)
    delays, patches = [], []
    for index in range(count):
        answer = {}

        def poll():
            poller = connection(url)
            poller.request("GET", path, headers={"If-None-Match": etag, "Prefer": "wait=30"})
            response = poller.getresponse()
            response.read()
            answer["at"], answer["status"], answer["etag"] = time.time(), response.status, response.getheader("ETag")

        thread = threading.Thread(target=poll)
        thread.start()
        time.sleep(0.05)  # the poll is waiting
        sent = time.time()
        status, etag = patch(conn, path, 2 + index % 2)
        patches.append((time.time() - sent) * 1000)
        thread.join()
        assert answer["status"] == 200 and answer["etag"] == etag, answer
        delays.append((answer["at"] - sent) * 1000)
    median, p99 = percentiles(delays)
    where = "the same instance" if patch_url == url else "another instance"
    print(f"{count} long-polls woken by a PATCH through {where}; PATCH sent -> the waiting GET's 200: "
          f"median {median:.1f} ms, p99 {p99:.1f} ms (the PATCH's own 200: median {statistics.median(patches):.1f} ms)")


def waiters(url, count, pid):
    parsed = urlparse(url)
    conn = connection(url)
    _, etag = patch(conn, "/v1/scalableTargetDimensions/waited", 1)
    request = (f"GET /v1/scalableTargetDimensions/waited HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\n"
               "Prefer: wait=60\r\n\r\n").encode()
    rss_before = rss(pid)
    sockets = []
    for _ in range(count):
        s = socket.create_connection((parsed.hostname, parsed.port))
        s.sendall(request)
        sockets.append(s)
    metrics = connection(url)
    for _ in range(600):
        metrics.request("GET", "/metrics")
        text = metrics.getresponse().read().decode()
        waiting = [l for l in text.splitlines() if l.startswith("capacityd_long_polls_waiting ")]
        if waiting and float(waiting[0].split()[1]) >= count:
            break
        time.sleep(0.1)
    rss_waiting = rss(pid)
    print(f"{count} long-polls waiting: RSS {rss_waiting / 1024:.1f} MiB ({rss_before / 1024:.1f} MiB before), "
          f"{(rss_waiting - rss_before) / count:.2f} KiB per waiting request")
    patch(conn, "/v1/scalableTargetDimensions/waited", 2)  # wakes them all
    for s in sockets:
        s.close()


def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "latency":
        latency(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif command == "wake":
        wake(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else sys.argv[2])
    elif command == "waiters":
        waiters(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
