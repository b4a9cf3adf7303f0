-- Citizens' channels: Open311 GeoReport v2 and the public pages.
--
-- A category the city marks public is an Open311 service: citizens' apps
-- list it and file requests under it. Its request type is the one such a
-- request is registered with (a citizen does not choose 咨询 or 投诉), and
-- its description is what the app shows.
ALTER TABLE category
	ADD COLUMN public boolean NOT NULL DEFAULT false,
	ADD COLUMN public_request_type text NOT NULL DEFAULT 'help' REFERENCES request_type(code),
	ADD COLUMN public_description text NOT NULL DEFAULT '';

-- A token tied to a channel is an Open311 api_key, issued to one app or
-- portal: the orders it files come in on that channel. Such a key is good
-- for nothing else (the JSON API refuses it).
ALTER TABLE api_token ADD COLUMN channel text REFERENCES channel(code);

INSERT INTO channel VALUES ('wechat', '微信小程序', 6) ON CONFLICT (code) DO NOTHING;

-- How a callback was made: by phone (the queue), or by the caller on the
-- public status page.
ALTER TABLE callback_attempt ADD COLUMN channel text NOT NULL DEFAULT 'phone'
	CHECK (channel IN ('phone', 'sms', 'web'));

-- Attempts on the public pages, per client address, for their rate limits:
-- submissions, and status look-ups that found nothing. Rows older than a
-- day are deleted as new ones come.
CREATE TABLE public_attempt (
	kind text NOT NULL CHECK (kind IN ('submit', 'lookup_failed')),
	address text NOT NULL,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX public_attempt_address ON public_attempt (kind, address, at);
