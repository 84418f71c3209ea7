-- wrk script: POST /v4/booking for a different 5-minute slot on every request, so that no two
-- requests conflict. Each wrk thread takes every Nth slot.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  base = tonumber(os.getenv("BOOK_BASE_EPOCH"))
  mt = os.getenv("BOOK_MEETING_TYPE")
  token = os.getenv("BOOK_TOKEN")
  -- Optional: stop sending after this many bookings in all (split over the threads); wrk itself
  -- ends when its -d duration is over.
  limit = tonumber(os.getenv("BOOK_LIMIT") or "0")
  answered = 0
end

function request()
  local slot = counter * nthreads + id
  counter = counter + 1
  local start = os.date("!%Y-%m-%dT%H:%M:%SZ", base + slot * 300)
  local body = string.format(
    '{"meetingTypeId":"%s","start":"%s","attendee":{"email":"load%d@example.com"}}', mt, start, slot % 1000)
  return wrk.format("POST", "/v4/booking",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

function response(status)
  answered = answered + 1
  if limit > 0 and answered >= limit / nthreads then
    wrk.thread:stop()
  end
end
