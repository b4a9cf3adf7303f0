-- Search and chase-ups (催办 by the caller).
--
-- Text search. The trigram index of 0002 (work_order_text) serves terms of
-- three characters or more; a two-character Chinese term such as 井盖 has no
-- trigram, so PostgreSQL would read the whole of that index for it. Chinese
-- words are mostly two characters, so the search also keeps every pair of
-- adjacent characters of content, address and request (lower-cased, pairs
-- with white space left out) in a GIN index: a term's pairs must all be
-- there, and the ILIKE beside it rechecks the order of the characters.
CREATE FUNCTION text_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT coalesce(array_agg(DISTINCT g), '{}')
	FROM (SELECT substr(lower(t), i, 2) AS g FROM generate_series(1, char_length(t) - 1) AS i) s
	WHERE g !~ '\s'
$$;

-- What the search reads: content, address and request as one text.
CREATE FUNCTION order_search_text(content text, address text, request text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT content || ' ' || address || ' ' || request
$$;

CREATE INDEX work_order_bigrams ON work_order
	USING gin (text_bigrams(order_search_text(content, address, request)));

-- An order number by prefix (20261121-00 finds that day's first hundred):
-- the UNIQUE index on number cannot serve LIKE outside the C collation.
CREATE INDEX work_order_number_prefix ON work_order (number text_pattern_ops);

-- The callers' chase-ups of an order (催办, the lifecycle action "chase").
ALTER TABLE work_order ADD COLUMN chase_count integer NOT NULL DEFAULT 0;
