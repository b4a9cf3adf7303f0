-- wrk: POST /api/v1/orders as an agent with an API token, each body
-- different (content, caller, street), as agents register orders.
-- Environment: BENCH_TOKEN; BENCH_DELAY_MS (optional) paces each
-- connection for the run at part of the saturating load.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")	-- token, id, setup(), done()
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local streets = { "D03-S01", "D03-S02", "D03-S03", "D03-S04", "D03-S05", "D03-S06" }
local categories = { "010101", "010102", "010201", "010202", "010301", "020101" }
local details = { "已持续一周", "多次反映未解决", "严重影响居民正常生活", "存在安全隐患" }
local n = 0

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
