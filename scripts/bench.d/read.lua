-- wrk: GET one order (/api/v1/orders/{number}, numbers drawn from the
-- file BENCH_NUMBERS) or the first page of the list (BENCH_PATH), as an
-- agent with an API token.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")	-- token, id, setup(), done()
local fixed = os.getenv("BENCH_PATH")
local numbers = {}

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
