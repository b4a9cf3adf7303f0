/*
 * auth: users, passwords, browser sessions and integration tokens.
 *
 * Passwords are hashed with Argon2id (libsodium crypto_pwhash_str, 19 MiB,
 * 2 passes: the OWASP baseline, light enough for a login burst). Session
 * and token secrets are 32 random bytes shown to the client once; the
 * database keeps only their SHA-256. A session also carries a CSRF token
 * that every state-changing request made with the cookie must echo.
 */
#ifndef HOTLINE_AUTH_AUTH_H
#define HOTLINE_AUTH_AUTH_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core/err.h"
#include "db/db.h"
#include "auth/role.h"

#define AUTH_SECRET_HEX 65		/* 32 bytes as hex plus NUL */
#define AUTH_SESSION_COOKIE "hotline_session"
#define AUTH_SESSION_HOURS 12
/* Who is calling: filled from a session or a token. */
struct principal {
	int user_id;
	char login[65];
	char name[128];
	enum role role;
	int department_id;		/* 0 for centre staff */
	char department_code[40];
	char department_name[128];
	char department_path[256];	/* "/3/17/": sees orders of this subtree */
	char csrf[AUTH_SECRET_HEX];	/* "" for tokens */
	bool via_token;
};

/* True for department users, whose view is limited to their subtree. */
static inline bool principal_is_department(const struct principal *p)
{
	return p->role == ROLE_DEPT_HANDLER || p->role == ROLE_DEPT_ADMIN;
}

/*
 * Checks login and password, from a client at `client_ip`, and opens a
 * session. On success fills `who` and `token` (the cookie value). Fails
 * with 401 for a wrong login or password (one message for both, in the
 * same time: an unknown login is checked against a dummy hash), or 429
 * while the login or the address is throttled (e->num[0]: the seconds to
 * wait; the rule is at the top of auth.c's login code and in README).
 */
bool auth_login(struct db *db, const char *login, const char *password, const char *client_ip,
		struct principal *who, char token[AUTH_SECRET_HEX], struct err *e);
/* Ends the session with cookie value `token`; unknown tokens are ignored. */
bool auth_logout(struct db *db, const char *token, struct err *e);
/* Fills `who` from a session cookie. False with 401 if unknown or expired. */
bool auth_session(struct db *db, const char *token, struct principal *who, struct err *e);
/* Fills `who` from a bearer token. False with 401 if unknown or revoked. */
bool auth_bearer(struct db *db, const char *token, struct principal *who, struct err *e);

/*
 * Creates a user. `department_code` is required for department roles and
 * refused for the others; the password is checked by auth_password_check(). Fails with 422 naming the field, or 409 if the
 * login exists.
 */
bool auth_user_add(struct db *db, const char *login, const char *role,
		   const char *department_code, const char *display_name,
		   const char *password, struct err *e);
/*
 * Changes user `login`'s role, department and name (an empty name: the
 * login), checked as auth_user_add() checks them. Every request reads its
 * user afresh, so the change holds at once in their open sessions. Plain
 * statements: inside the caller's transaction when one is open. 404 if
 * there is no such login.
 */
#define AUTH_NAME_MAX 100
bool auth_user_update(struct db *db, const char *login, const char *role,
		      const char *department_code, const char *display_name, struct err *e);
/*
 * Refuses a password anyone would guess (422 naming "password"): shorter
 * than 8 characters (ERR_PASSWORD_SHORT), the login itself
 * (ERR_PASSWORD_IS_LOGIN), one character repeated or a plain sequence such
 * as 12345678 or abcdefgh (ERR_PASSWORD_TRIVIAL), or one of the most common
 * passwords (ERR_PASSWORD_COMMON). `login` may be NULL.
 */
bool auth_password_check(const char *password, const char *login, struct err *e);
/*
 * Sets a user's password (checked as auth_password_check() checks it) and
 * ends every session of that user but `keep_session` (the cookie value of
 * the session that made the change, when users change their own password;
 * NULL: all of them). One transaction. 404 if there is no such login.
 */
bool auth_user_password(struct db *db, const char *login, const char *password,
			const char *keep_session, struct err *e);
/*
 * Every user, by login: a new JSON array (caller puts) of {"login", "name",
 * "role", "active", "created_at" (ISO 8601), "department": {"code",
 * "name"} or null}, or NULL with `e` on a database failure.
 */
json_object *auth_user_list(struct db *db, struct err *e);
/*
 * Activates or deactivates user `login`. A deactivated user can no longer
 * log in, and their sessions end at once (their API tokens stop working
 * too, since every check requires an active user). 404 if there is no
 * such login.
 */
bool auth_user_set_active(struct db *db, const char *login, bool active, struct err *e);
/* Fills `who` for an active user by login, for work done on their behalf
 * (demo data, imports). 404 if there is no such user. */
bool auth_principal_for(struct db *db, const char *login, struct principal *who, struct err *e);
/* Creates an API token for `login`; writes the secret (shown once) to `token`. */
bool auth_token_create(struct db *db, const char *login, const char *name,
		       char token[AUTH_SECRET_HEX], struct err *e);

/*
 * The API tokens and channel keys, of user `login` or (NULL) of everyone,
 * oldest first: a new JSON array (caller puts) of {"id", "login", "name",
 * "channel" (null for an API token), "created_at", "last_used_at" and
 * "revoked_at" (ISO 8601 or null)}. The secrets themselves are never kept.
 * NULL with `e` on a database failure. A token's use is noted at most
 * once a minute.
 */
json_object *auth_token_list(struct db *db, const char *login, struct err *e);
/* Revokes token (or channel key) `id` at once; revoking twice keeps the
 * first time. 404 if there is no such token. */
bool auth_token_revoke(struct db *db, long long id, struct err *e);

/*
 * Channel keys: Open311's api_key, issued by the administrator to one app
 * or portal and tied to a channel (channel.code). The orders a key files
 * come in on its channel. A channel key is not an API token: auth_bearer()
 * refuses it, and auth_channel_key() accepts nothing else.
 */
struct channel_key {
	int id;				/* api_token.id */
	char name[128];			/* the app it was issued to */
	char channel[32];
};

/* Creates a channel key for `channel`, in the name of user `login` (who
 * issued it); writes the secret (shown once) to `token`. 404 if there is
 * no such user or channel, 422 if `channel` is empty. */
bool auth_channel_key_create(struct db *db, const char *login, const char *name, const char *channel,
			     char token[AUTH_SECRET_HEX], struct err *e);
/* Fills `out` from channel key `key`. False with 403 if it is unknown,
 * revoked, not a channel key, or its user was deactivated. */
bool auth_channel_key(struct db *db, const char *key, struct channel_key *out, struct err *e);

#endif
