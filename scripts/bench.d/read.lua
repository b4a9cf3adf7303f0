-- wrk: GET one order (/api/v1/orders/{number}, numbers drawn from the
-- file BENCH_NUMBERS) or the first page of the list (BENCH_PATH), as an
-- agent with an API token (BENCH_TOKEN).
local token = os.getenv("BENCH_TOKEN")
local fixed = os.getenv("BENCH_PATH")
local numbers = {}
local threads = {}
local n = 0
id = 0  -- set per thread by setup()

function setup(thread)
	thread:set("id", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	if not fixed then
		for line in io.lines(os.getenv("BENCH_NUMBERS")) do
			table.insert(numbers, line)
		end
	end
	math.randomseed(id * 104729 + 3)
end

function request()
	local path = fixed
	if not path then
		path = "/api/v1/orders/" .. numbers[math.random(#numbers)]
	end
	return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		'{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
		'"max_ms":%.3f,"non2xx":%d,"errors":%d}\n',
		summary.requests, secs, summary.requests / secs, latency:percentile(50) / 1000,
		latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
		e.status, e.connect + e.read + e.write + e.timeout))
end
