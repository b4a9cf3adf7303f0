-- wrk: POST /api/v1/orders as an agent with an API token, each body
-- different (content, caller, street), as agents register orders.
-- Environment: BENCH_TOKEN; BENCH_DELAY_MS (optional) paces each
-- connection for the run at part of the saturating load.
local token = os.getenv("BENCH_TOKEN")
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local streets = { "D03-S01", "D03-S02", "D03-S03", "D03-S04", "D03-S05", "D03-S06" }
local categories = { "010101", "010102", "010201", "010202", "010301", "020101" }
local details = { "已持续一周", "多次反映未解决", "严重影响居民正常生活", "存在安全隐患" }
local threads = {}
local n = 0
id = 0  -- set per thread by setup()

function setup(thread)
	thread:set("id", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	math.randomseed(id * 7919 + 17)
end

function delay()
	return pace
end

function request()
	n = n + 1
	local k = id * 100000000 + n
	local street = streets[(n % #streets) + 1]
	local body = string.format(
		'{"channel":"phone","request_type":"complaint","urgency":"normal","category":"%s",' ..
		'"caller_name":"张先生","caller_phone":"138%08d","district":"D03","street":"%s",' ..
		'"address":"朝阳区建国路%d号","content":"市民来电反映：建国路%d号附近道路破损，%s，请尽快修复。(%d)",' ..
		'"request":"请相关部门尽快处理"}',
		categories[(n % #categories) + 1], k % 100000000, street, n % 300 + 1, n % 300 + 1,
		details[(n % #details) + 1], k)
	return wrk.format("POST", "/api/v1/orders", {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}, body)
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
