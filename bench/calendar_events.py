#!/usr/bin/env python3
"""Prints one iCalendar file of N events for the calendar benchmark: N - 50 single events on the
next 60 days (UTC, 30 to 90 minutes, some all-day), and 50 weekly series in Europe/Berlin that
began a year ago and never end, each with an EXDATE and an override (RECURRENCE-ID)."""
import datetime as dt
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
random.seed(7)
now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
stamp = now.strftime("%Y%m%dT%H%M%SZ")
out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//termin bench//EN"]
for i in range(n - 50):
    day = now + dt.timedelta(days=random.randint(0, 60))
    if i % 50 == 0:
        d = day.strftime("%Y%m%d")
        out += ["BEGIN:VEVENT", f"UID:single-{i}", f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{d}",
                "END:VEVENT"]
        continue
    start = day.replace(hour=random.randint(5, 19), minute=random.choice([0, 15, 30, 45]))
    end = start + dt.timedelta(minutes=random.choice([30, 45, 60, 90]))
    out += ["BEGIN:VEVENT", f"UID:single-{i}", f"DTSTAMP:{stamp}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}",
            f"SUMMARY:Event {i}", "END:VEVENT"]
first = (now - dt.timedelta(days=365)).date()
for s in range(50):
    day = first + dt.timedelta(days=s % 7)
    hour = 8 + s % 9
    start = f"{day:%Y%m%d}T{hour:02d}0000"
    end = f"{day:%Y%m%d}T{hour:02d}3000"
    skipped = day + dt.timedelta(days=7 * (53 + s % 4))
    moved = day + dt.timedelta(days=7 * (54 + s % 4))
    out += ["BEGIN:VEVENT", f"UID:series-{s}", f"DTSTAMP:{stamp}",
            f"DTSTART;TZID=Europe/Berlin:{start}", f"DTEND;TZID=Europe/Berlin:{end}",
            "RRULE:FREQ=WEEKLY", f"EXDATE;TZID=Europe/Berlin:{skipped:%Y%m%d}T{hour:02d}0000",
            f"SUMMARY:Series {s}", "END:VEVENT",
            "BEGIN:VEVENT", f"UID:series-{s}", f"DTSTAMP:{stamp}",
            f"RECURRENCE-ID;TZID=Europe/Berlin:{moved:%Y%m%d}T{hour:02d}0000",
            f"DTSTART;TZID=Europe/Berlin:{moved:%Y%m%d}T{(hour + 1) % 24:02d}0000",
            f"DTEND;TZID=Europe/Berlin:{moved:%Y%m%d}T{(hour + 1) % 24:02d}3000",
            f"SUMMARY:Series {s} (moved)", "END:VEVENT"]
out.append("END:VCALENDAR")
sys.stdout.write("\r\n".join(out) + "\r\n")
