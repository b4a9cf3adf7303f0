-- One minimal durable registration (bench.d/limit_schema.sql): the order
-- and its event in one statement, so one transaction and one round trip.
\set phone random(13000000000, 13999999999)
\set n random(1, 1000000)
WITH o AS (
	INSERT INTO bench_limit.work_order (number, status, channel, caller_phone, category, district,
		content, address, request)
	VALUES (to_char(now(), 'YYYYMMDD') || lpad(nextval('bench_limit.order_number')::text, 6, '0'),
		'pending', 'phone', :phone, '010101', 'D03',
		'来电人反映小区东门外人行道上的井盖破损下陷已有一周，夜间路过的老人和孩子容易绊倒，雨天积水后看不见井口位置，附近住户多次向物业反映，物业称井盖不归其管理，请相关部门尽快核实产权单位并安排更换加固，同时在维修期间设置警示标志，编号' || :n,
		'某区某街道某社区某路一百二十三号东门外人行道',
		'请尽快更换破损井盖并设置警示标志，处理后回复来电人')
	RETURNING id
)
INSERT INTO bench_limit.order_event (order_id, action, payload)
SELECT id, 'register', '{"channel": "phone"}' FROM o;
