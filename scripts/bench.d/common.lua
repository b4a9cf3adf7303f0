-- What the wrk scripts of scripts/bench share (each loads it with dofile,
-- from BENCH_LUA_DIR): the agent's API token (BENCH_TOKEN), a number per
-- thread (`id`, from 1, set by setup()), and done(), which prints the run
-- as the one JSON line scripts/bench reads.
token = os.getenv("BENCH_TOKEN")
id = 0
local threads = {}

function setup(thread)
	thread:set("id", #threads + 1)
	table.insert(threads, thread)
end

-- One JSON line: throughput, latency percentiles (ms), failures.
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
