-- The caller index of alone records moves out of call_record into a table
-- of its own.
--
-- An import writes alone records in input order, which is nearly the
-- order of their keys (a PBX's unique ids grow with time): each key lands
-- on the primary key's rightmost leaf, which PostgreSQL reaches without
-- descending the tree. The caller index wants the same records in phone
-- order instead, and a row has one order: with both indexes on
-- call_record, either index took every insert the long way, a search from
-- the root (half the import's database time). Here each index has its own
-- COPY in its own order: call_record by key, call_alone_caller by phone.
--
-- call_alone_caller holds a row for every alone record with a caller phone
-- and nothing else: the import's fast path writes both, call_adopt()
-- deletes the rows of the records it adopts.

CREATE TABLE call_alone_caller (
	phone text COLLATE "C" NOT NULL,
	key text COLLATE "C" NOT NULL
);

INSERT INTO call_alone_caller (phone, key)
SELECT caller_phone, key FROM call_record WHERE alone AND caller_phone IS NOT NULL;

CREATE INDEX call_alone_caller_phone ON call_alone_caller (phone);

DROP INDEX call_record_alone_caller;

-- The summaries of the calls from normalised phone number `phone` ($1:
-- call_alone_caller has a column of that name).
CREATE OR REPLACE FUNCTION call_summaries_of(phone text) RETURNS SETOF call
	LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT c.* FROM call c WHERE c.caller_phone = $1
UNION ALL
SELECT (call_of_record(r)).* FROM call_alone_caller a JOIN call_record r ON r.key = a.key
WHERE a.phone = ($1 COLLATE "C") AND r.alone $$;

-- Gives the calls `ids` that have an alone record their summary row, as
-- call_of_record() has it (the rollups count them already), clears the
-- flag and forgets the record's caller row. Returns the number of calls
-- adopted. The caller holds the lane locks of the calls (see
-- src/intake/intake_sql.h).
CREATE OR REPLACE FUNCTION call_adopt(ids text[]) RETURNS bigint
	LANGUAGE sql AS $$
WITH a AS (
	UPDATE call_record r SET alone = false
	FROM (SELECT DISTINCT unnest(ids) AS id) x
	WHERE r.key >= x.id AND r.key < x.id || '$' AND r.alone AND call_record_cid(r) = x.id
	RETURNING call_of_record(r) AS c, r.key, r.caller_phone
), forget AS (
	DELETE FROM call_alone_caller f USING a
	WHERE f.phone = (a.caller_phone COLLATE "C") AND f.key = a.key
), ins AS (
	INSERT INTO call SELECT (a.c).* FROM a RETURNING 1
)
SELECT count(*) FROM ins $$;
