"""Seeds the team benchmark: books PER_HOST appointments for each host, spread over the window.

Usage: hosts.py BASE TOKEN MEETING_TYPE START END PER_HOST HOST_ID...
Each host's free times come from GET /v4/booking-availability (their own schedule); every n-th
is booked with POST /v4/booking naming that host, so the hosts' calendars fill the whole window.
"""
import json
import sys
import urllib.request

base, token, mt, start, end, per_host, *hosts = sys.argv[1:]
per_host = int(per_host)


def call(method, path, body=None):
    req = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)


for host in hosts:
    free = call(
        "GET",
        f"/v4/booking-availability?meetingTypeId={mt}&hostIds={host}&start={start}&end={end}",
    )
    times = [s["startTime"] for d in free["dates"] for s in d["spots"]]
    if len(times) < per_host:
        sys.exit(f"host {host} has only {len(times)} free times in the window")
    step = len(times) // per_host
    for i in range(per_host):
        call(
            "POST",
            "/v4/booking",
            {
                "meetingTypeId": mt,
                "start": times[i * step],
                "hostIds": [host],
                "attendee": {"email": f"team{i}@example.com"},
            },
        )
