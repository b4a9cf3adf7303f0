#include "auth/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

#define PWHASH_OPSLIMIT 2
#define PWHASH_MEMLIMIT (19u << 20)

/* Fills `secret` with a new random secret and `hash_hex` with "\\x<sha256>". */
static void new_secret(char secret[AUTH_SECRET_HEX], char hash_lit[2 * 32 + 3])
{
	unsigned char raw[32], hash[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(secret, AUTH_SECRET_HEX, raw, sizeof(raw));
	crypto_hash_sha256(hash, (const unsigned char *)secret, strlen(secret));
	hash_lit[0] = '\\';
	hash_lit[1] = 'x';
	sodium_bin2hex(hash_lit + 2, 2 * 32 + 1, hash, sizeof(hash));
}

/* The bytea literal of SHA-256(secret). False for a malformed secret. */
static bool secret_hash(const char *secret, char hash_lit[2 * 32 + 3])
{
	unsigned char hash[32];
	size_t n = strlen(secret);

	if (n != AUTH_SECRET_HEX - 1 || strspn(secret, "0123456789abcdef") != n)
		return false;
	crypto_hash_sha256(hash, (const unsigned char *)secret, n);
	hash_lit[0] = '\\';
	hash_lit[1] = 'x';
	sodium_bin2hex(hash_lit + 2, 2 * 32 + 1, hash, sizeof(hash));
	return true;
}

#define PRINCIPAL_COLUMNS \
	" u.id, u.login, u.display_name, u.role, coalesce(u.department_id, 0) AS department_id," \
	" coalesce(d.code, '') AS department_code, coalesce(d.name, '') AS department_name," \
	" coalesce(d.path, '') AS department_path"

static void fill_principal(const struct db_res *r, struct principal *who)
{
	memset(who, 0, sizeof(*who));
	who->user_id = (int)db_res_ll(r, 0, "id");
	snprintf(who->login, sizeof(who->login), "%s", db_res_str(r, 0, "login"));
	snprintf(who->name, sizeof(who->name), "%s", db_res_str(r, 0, "display_name"));
	who->role = (enum role)role_parse(db_res_str(r, 0, "role"));
	who->department_id = (int)db_res_ll(r, 0, "department_id");
	snprintf(who->department_code, sizeof(who->department_code), "%s",
		 db_res_str(r, 0, "department_code"));
	snprintf(who->department_name, sizeof(who->department_name), "%s",
		 db_res_str(r, 0, "department_name"));
	snprintf(who->department_path, sizeof(who->department_path), "%s",
		 db_res_str(r, 0, "department_path"));
}

/*
 * Login throttling. Every attempt is counted before its password is
 * checked, under row locks, against three keys: the login from this
 * address, the login from anywhere, and this address with any login. A
 * key may fail `free` times; each failure after that blocks it for a delay
 * that starts at `base` seconds and doubles with each further failure up
 * to `cap`. Attempts while a key is blocked are refused (429) without
 * being counted or checked, so parallel guesses cannot slip past the
 * count and an attacker cannot lengthen the owner's wait by guessing
 * faster. A success refunds its own count: the login's keys restart, the
 * address's loses one. A key quiet for THROTTLE_QUIET after its last
 * failure and its block restarts from nothing.
 */
static const struct throttle_kind {
	char prefix;		/* 'p', 'l', 'a': see migrations/0016_hardening.sql */
	int free, base, cap;	/* failures allowed; seconds */
} throttle_kinds[3] = {
	{ 'a', 50, 2, 900 },	/* one address, any login: a proxy's users share it */
	{ 'l', 5, 2, 60 },	/* one login, any address: the owner waits a minute at most */
	{ 'p', 5, 60, 3600 },	/* one login from one address: the guesser */
};
#define THROTTLE_QUIET "15 minutes"

/* The three keys of an attempt, in throttle_kinds order (sorted, which
 * is also the order their rows are locked in). */
static void throttle_keys(const char *login, const char *ip, char keys[3][160])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];

	crypto_hash_sha256(digest, (const unsigned char *)login, strlen(login));
	sodium_bin2hex(hex, sizeof(hex), digest, 16);
	snprintf(keys[0], 160, "a:%.60s", ip);
	snprintf(keys[1], 160, "l:%s", hex);
	snprintf(keys[2], 160, "p:%.60s:%s", ip, hex);
}

/*
 * Counts one attempt against the keys, atomically. False with 429 (and
 * the seconds to wait in e->num[0]) if any key is blocked now; the
 * attempt is then not counted.
 */
static bool throttle_attempt(struct db *db, const char *login, char keys[3][160], struct err *e)
{
	static const char insert_sql[] =
		"INSERT INTO login_throttle (key, failures, last_failure)"
		" SELECT k, 0, now() FROM unnest(ARRAY[$1, $2, $3]) AS k ORDER BY k"
		" ON CONFLICT (key) DO NOTHING";
	static const char lock_sql[] =
		"SELECT coalesce(ceil(extract(epoch FROM max(blocked_until) - now())), 0)::bigint AS wait"
		" FROM (SELECT blocked_until FROM login_throttle WHERE key IN ($1, $2, $3)"
		"  ORDER BY key FOR UPDATE) t WHERE blocked_until > now()";
#define FAILURES_NOW \
	"(CASE WHEN greatest(t.last_failure, t.blocked_until) < now() - interval '" THROTTLE_QUIET "'" \
	" THEN 1 ELSE t.failures + 1 END)"
	static const char count_sql[] =
		"UPDATE login_throttle t SET failures = " FAILURES_NOW ", last_failure = now(),"
		" blocked_until = CASE WHEN " FAILURES_NOW " >= k.free THEN now() + make_interval(secs =>"
		"  least(k.cap, k.base * power(2, least(" FAILURES_NOW " - k.free, 20)))) END"
		" FROM (VALUES ($1, $4::integer, $5::integer, $6::integer), ($2, $7::integer, $8::integer,"
		"  $9::integer), ($3, $10::integer, $11::integer, $12::integer)) AS k(key, free, base, cap)"
		" WHERE t.key = k.key";
#undef FAILURES_NOW
	char n[3][3][16];
	struct db_res *r = NULL;
	long long wait;

	for (int i = 0; i < 3; i++) {
		snprintf(n[i][0], 16, "%d", throttle_kinds[i].free);
		snprintf(n[i][1], 16, "%d", throttle_kinds[i].base);
		snprintf(n[i][2], 16, "%d", throttle_kinds[i].cap);
	}
	if (!db_begin(db, e))
		return false;
	if (!DB_RUN_P(db, e, insert_sql, keys[0], keys[1], keys[2])
	    || !(r = DB_EXEC_P(db, e, lock_sql, keys[0], keys[1], keys[2])))
		goto fail;
	wait = db_res_rows(r) == 1 ? db_res_ll(r, 0, "wait") : 0;
	db_res_free(r);
	if (wait > 0) {
		db_rollback(db);
		err_set(e, 429, ERR_TOO_MANY_FAILURES,
			"too many failed logins for \"%s\" or from this address; try again in %lld seconds",
			login, wait);
		return err_num(e, (double)wait, 0);
	}
	if (!DB_RUN_P(db, e, count_sql, keys[0], keys[1], keys[2], n[0][0], n[0][1], n[0][2],
		      n[1][0], n[1][1], n[1][2], n[2][0], n[2][1], n[2][2])
	    || !db_commit(db, e))
		goto fail;
	return true;
fail:
	db_rollback(db);
	return false;
}

/* A success refunds the attempt it counted; stale keys are dropped. */
static void throttle_success(struct db *db, char keys[3][160])
{
	DB_RUN_P(db, NULL,
		 "WITH gone AS (DELETE FROM login_throttle WHERE key IN ($2, $3)"
		 "  OR (last_failure < now() - interval '1 day'"
		 "      AND coalesce(blocked_until, now()) <= now()))"
		 " UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1",
		 keys[0], keys[1], keys[2]);
}

/*
 * A hash of a random password with the parameters of real ones: unknown
 * and deactivated logins are verified against it, so that they cost the
 * same time as a wrong password of a real login and do not give
 * themselves away.
 */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_hash_init(void)
{
	char pw[33];
	unsigned char raw[16];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), PWHASH_OPSLIMIT, PWHASH_MEMLIMIT) != 0)
		dummy_hash[0] = '\0';
}

bool auth_login(struct db *db, const char *login, const char *password, const char *client_ip,
		struct principal *who, char token[AUTH_SECRET_HEX], struct err *e)
{
	static const char user_sql[] =
		"SELECT u.password_hash, u.active," PRINCIPAL_COLUMNS
		" FROM app_user u LEFT JOIN department d ON d.id = u.department_id"
		" WHERE u.login = $1";
	char hash_lit[2 * 32 + 3], csrf[AUTH_SECRET_HEX], csrf_hash[2 * 32 + 3], uid[16];
	char keys[3][160];
	struct db_res *r;
	const char *stored;
	bool ok = false, known, matches;

	pthread_once(&dummy_once, dummy_hash_init);
	throttle_keys(login, client_ip ? client_ip : "", keys);
	if (!throttle_attempt(db, login, keys, e))
		return false;
	if (!(r = DB_EXEC(db, e, user_sql, login)))
		return false;
	known = db_res_rows(r) == 1;
	stored = known ? db_res_str(r, 0, "password_hash") : dummy_hash;
	matches = crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
	if (!known || !db_res_bool(r, 0, "active") || !matches) {
		err_set(e, 401, ERR_BAD_CREDENTIALS, "wrong login or password");
		goto out;
	}
	fill_principal(r, who);
	new_secret(token, hash_lit);
	new_secret(csrf, csrf_hash);
	snprintf(uid, sizeof(uid), "%d", who->user_id);
	if (!DB_RUN(db, e,
		    "INSERT INTO session (token_hash, user_id, csrf_token, expires_at)"
		    " VALUES ($1::bytea, $2, $3, now() + interval '" "12 hours" "')",
		    hash_lit, uid, csrf))
		goto out;
	throttle_success(db, keys);
	snprintf(who->csrf, sizeof(who->csrf), "%s", csrf);
	ok = true;
out:
	db_res_free(r);
	return ok;
}

bool auth_logout(struct db *db, const char *token, struct err *e)
{
	char hash_lit[2 * 32 + 3];

	if (!secret_hash(token, hash_lit))
		return true;
	return DB_RUN(db, e, "DELETE FROM session WHERE token_hash = $1::bytea", hash_lit);
}

/* Notes that token `id` was used now (called at most once a minute a token:
 * a write on every request would cost). A failure only goes to the log. */
static void token_used(struct db *db, const char *id)
{
	DB_RUN_P(db, NULL, "UPDATE api_token SET last_used_at = now() WHERE id = $1::integer", id);
}

/*
 * Fills `who` from the one row `sql` finds for the secret's hash (a
 * "csrf_token" column, when the query has one, fills who->csrf). False
 * with 401 and `unknown` as the message when there is no such row.
 * Prepared: every authenticated request runs one of these.
 */
static bool principal_by_secret(struct db *db, const char *sql, const char *token,
				struct principal *who, const char *unknown, struct err *e)
{
	char hash_lit[2 * 32 + 3];
	struct db_res *r;
	bool ok;
	int csrf;

	if (!secret_hash(token, hash_lit))
		return err_set(e, 401, ERR_UNAUTHENTICATED, "%s", unknown);
	r = DB_EXEC_P(db, e, sql, hash_lit);
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (ok) {
		fill_principal(r, who);
		csrf = db_res_col(r, "csrf_token");
		snprintf(who->csrf, sizeof(who->csrf), "%s", csrf >= 0 ? db_res_get(r, 0, csrf) : "");
		/* A token's query says when its last use is worth noting again. */
		if (db_res_col(r, "use_stale") >= 0 && db_res_bool(r, 0, "use_stale"))
			token_used(db, db_res_str(r, 0, "token_id"));
	} else {
		err_set(e, 401, ERR_UNAUTHENTICATED, "%s", unknown);
	}
	db_res_free(r);
	return ok;
}

bool auth_session(struct db *db, const char *token, struct principal *who, struct err *e)
{
	static const char sql[] =
		"SELECT s.csrf_token," PRINCIPAL_COLUMNS " FROM session s JOIN app_user u ON u.id = s.user_id"
		" LEFT JOIN department d ON d.id = u.department_id"
		" WHERE s.token_hash = $1::bytea AND s.expires_at > now() AND u.active";

	return principal_by_secret(db, sql, token, who,
				   "session expired or unknown: log in again", e);
}

bool auth_bearer(struct db *db, const char *token, struct principal *who, struct err *e)
{
	static const char sql[] =
		"SELECT t.id AS token_id, (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')"
		" AS use_stale," PRINCIPAL_COLUMNS " FROM api_token t JOIN app_user u ON u.id = t.user_id"
		" LEFT JOIN department d ON d.id = u.department_id"
		" WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL AND t.channel IS NULL AND u.active";

	if (!principal_by_secret(db, sql, token, who, "invalid API token", e))
		return false;
	who->via_token = true;
	return true;
}

/*
 * The passwords that guessing tries first: the most common ones of eight
 * characters or more in published leaks, Chinese sites' included, compared
 * without regard to case. Sequences and repeated characters are caught by
 * rule (too_simple()), so they need not be listed.
 */
static const char *const common_passwords[] = {
	"password", "password1", "password12", "password123", "passw0rd", "p@ssw0rd", "p@ssword",
	"pa$$word", "passwort", "iloveyou", "iloveyou1", "sunshine", "princess", "football",
	"baseball", "basketball", "superman", "batman123", "welcome1", "welcome123", "letmein1",
	"trustno1", "changeme", "changeme1", "monkey123", "dragon123", "master123", "qwertyuiop",
	"qwerty123", "qwerty12", "qwer1234", "1234qwer", "q1w2e3r4", "q1w2e3r4t5", "1q2w3e4r",
	"1q2w3e4r5t", "1qaz2wsx", "1qazxsw2", "zaq12wsx", "zaq1zaq1", "qazwsxedc", "asdfghjkl",
	"asdf1234", "zxcvbnm1", "zxcvbnm123", "abc12345", "abc123456", "abcd1234", "aa123456",
	"a1234567", "a12345678", "a123456789", "12345678a", "123456abc", "1234abcd", "qq123456",
	"admin123", "admin1234", "admin@123", "administrator", "root1234", "test1234", "test12345",
	"user1234", "guest123", "hotline123", "hotline12345", "12345abc", "123123123", "12341234",
	"11223344", "112233445566", "123321123", "147258369", "159357456", "789456123",
	"147852369", "741852963", "963852741", "123qweasd", "qweasdzxc", "1qaz@wsx", "1qaz!qaz",
	"woaini123", "woaini520", "woaini1314", "5201314520", "13145200", "52013145",
	"iloveyou520", "aini1314", "wang1234", "zhang123", "li123456", "china123", "beijing123",
	"shanghai123", "88888888a", "a88888888", "666666666a", "computer", "internet",
	"starwars", "whatever", "michelle", "jennifer", "jordan23", "liverpool", "chelsea1",
	"pokemon1", "naruto123", "qwerty1234", "1234567890a", "zxcv1234", "asd123456",
	"qwe123456", "qwe123qwe", "abc123abc", "a1b2c3d4", "a1b2c3d4e5", "1a2b3c4d",
};

/* True when every character repeats the first, or each is one after
 * (or each one before) the one before it: 11111111, 12345678, abcdefgh,
 * 87654321. */
static bool too_simple(const char *p)
{
	size_t n = strlen(p);
	bool same = true, up = true, down = true;

	for (size_t i = 1; i < n; i++) {
		same &= p[i] == p[0];
		up &= (unsigned char)p[i] == (unsigned char)p[i - 1] + 1;
		down &= (unsigned char)p[i] + 1 == (unsigned char)p[i - 1];
	}
	return same || up || down;
}

bool auth_password_check(const char *password, const char *login, struct err *e)
{
	if (strlen(password) < 8)
		return err_field(e, 422, "password", ERR_PASSWORD_SHORT, "password is too short: at least 8 characters");
	if (login && !strcasecmp(password, login))
		return err_field(e, 422, "password", ERR_PASSWORD_IS_LOGIN, "the password must not be the login");
	if (too_simple(password))
		return err_field(e, 422, "password", ERR_PASSWORD_TRIVIAL,
				 "the password is one character repeated or a plain sequence: anyone guesses it");
	for (size_t i = 0; i < sizeof(common_passwords) / sizeof(common_passwords[0]); i++)
		if (!strcasecmp(password, common_passwords[i]))
			return err_field(e, 422, "password", ERR_PASSWORD_COMMON,
					 "the password is among the most common ones: guessing tries it first");
	return true;
}

static bool hash_password(const char *password, const char *login, char out[crypto_pwhash_STRBYTES],
			  struct err *e)
{
	if (!auth_password_check(password, login, e))
		return false;
	if (crypto_pwhash_str(out, password, strlen(password), PWHASH_OPSLIMIT, PWHASH_MEMLIMIT) != 0)
		return err_set(e, 500, ERR_INTERNAL, "out of memory while hashing the password");
	return true;
}

/* Checks a role and the department it goes with; sets *dept_role. */
static bool role_department_ok(const char *role, const char *department_code, bool *dept_role,
			       struct err *e)
{
	int r = role_parse(role);

	if (r < 0 || r == ROLE_SYSTEM)
		return err_field(e, 422, "role", ERR_UNKNOWN_CHOICE, "unknown role \"%s\": expected agent, reviewer, dept_handler, dept_admin, supervisor or admin",
				 role ? role : "");
	*dept_role = r == ROLE_DEPT_HANDLER || r == ROLE_DEPT_ADMIN;
	if (*dept_role && (!department_code || !*department_code))
		return err_field(e, 422, "department", ERR_ROLE_NEEDS_DEPARTMENT, "role \"%s\" needs a department", role);
	if (!*dept_role && department_code && *department_code)
		return err_field(e, 422, "department", ERR_ROLE_WITHOUT_DEPARTMENT, "role \"%s\" does not belong to a department", role);
	return true;
}

bool auth_user_add(struct db *db, const char *login, const char *role,
		   const char *department_code, const char *display_name,
		   const char *password, struct err *e)
{
	char hash[crypto_pwhash_STRBYTES];
	bool dept_role;

	if (!role_department_ok(role, department_code, &dept_role, e))
		return false;
	if (!hash_password(password, login, hash, e))
		return false;
	struct db_res *res = DB_EXEC(db, e,
		"INSERT INTO app_user (login, role, department_id, display_name, password_hash)"
		" SELECT $1, $2, d.id, $4, $5 FROM (SELECT 1) one"
		" LEFT JOIN department d ON d.code = $3"
		" WHERE $3 IS NULL OR d.id IS NOT NULL RETURNING id",
		login, role, dept_role ? department_code : NULL, display_name ? display_name : login, hash);
	if (!res) {
		if (e && e->code == ERR_UNIQUE_VIOLATION)
			err_field(e, 409, "login", ERR_LOGIN_TAKEN, "login \"%s\" is already taken", login);
		else if (e && e->code == ERR_CONSTRAINT)
			err_field(e, 422, "login", ERR_BAD_LOGIN, "invalid login \"%s\": 2 to 64 letters, digits or . _ @ -", login);
		return false;
	}
	bool ok = db_res_rows(res) == 1;
	db_res_free(res);
	if (!ok)
		return err_field(e, 422, "department", ERR_UNKNOWN_DEPARTMENT, "unknown department \"%s\"", department_code);
	return true;
}

bool auth_user_update(struct db *db, const char *login, const char *role,
		      const char *department_code, const char *display_name, struct err *e)
{
	struct db_res *r;
	bool dept_role, ok;

	if (!role_department_ok(role, department_code, &dept_role, e))
		return false;
	size_t chars = 0;
	for (const char *p = display_name ? display_name : ""; *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	if (chars > AUTH_NAME_MAX)
		return err_field_n(e, 422, "display_name", ERR_TOO_LONG, (double)chars, AUTH_NAME_MAX,
				   "display_name has %zu characters; at most %d are allowed", chars,
				   AUTH_NAME_MAX);
	r = DB_EXEC(db, e, "SELECT 1 FROM app_user WHERE login = $1", login);
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_set(e, 404, ERR_NOT_FOUND, "no user with login \"%s\"", login);
	r = DB_EXEC(db, e,
		"UPDATE app_user u SET role = $2, department_id = d.id,"
		" display_name = coalesce(nullif(btrim($4), ''), u.login)"
		" FROM (SELECT 1) one LEFT JOIN department d ON d.code = $3"
		" WHERE u.login = $1 AND ($3 IS NULL OR d.id IS NOT NULL) RETURNING u.id",
		login, role, dept_role ? department_code : NULL, display_name);
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_field(e, 422, "department", ERR_UNKNOWN_DEPARTMENT, "unknown department \"%s\"",
				 department_code);
	return true;
}

bool auth_user_password(struct db *db, const char *login, const char *password,
			const char *keep_session, struct err *e)
{
	char hash[crypto_pwhash_STRBYTES], keep[2 * 32 + 3];
	struct db_res *r;
	bool ok;

	if (!hash_password(password, login, hash, e))
		return false;
	if (!keep_session || !secret_hash(keep_session, keep))
		keep[0] = '\0';
	if (!db_begin(db, e))
		return false;
	r = DB_EXEC(db, e, "UPDATE app_user SET password_hash = $2 WHERE login = $1 RETURNING id",
		    login, hash);
	ok = r && db_res_rows(r) == 1;
	if (r && !ok)
		err_set(e, 404, ERR_NOT_FOUND, "no user with login \"%s\"", login);
	/* Whoever knew the old password is logged out everywhere. */
	if (ok)
		ok = DB_RUN(db, e,
			    "DELETE FROM session WHERE user_id = $1::integer"
			    " AND ($2::bytea IS NULL OR token_hash <> $2::bytea)",
			    db_res_str(r, 0, "id"), keep[0] ? keep : NULL);
	db_res_free(r);
	if (ok && db_commit(db, e))
		return true;
	db_rollback(db);
	return false;
}

json_object *auth_user_list(struct db *db, struct err *e)
{
	struct db_res *r = DB_EXEC(db, e,
		"SELECT u.login, u.display_name, u.role, u.active, iso(u.created_at) AS created_at,"
		" coalesce(d.code, '') AS department_code, coalesce(d.name, '') AS department_name"
		" FROM app_user u LEFT JOIN department d ON d.id = u.department_id ORDER BY u.login");
	json_object *list;

	if (!r)
		return NULL;
	list = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *u = json_object_new_object();
		const char *code = db_res_str(r, i, "department_code");
		json_object_object_add(u, "login", json_object_new_string(db_res_str(r, i, "login")));
		json_object_object_add(u, "name", json_object_new_string(db_res_str(r, i, "display_name")));
		json_object_object_add(u, "role", json_object_new_string(db_res_str(r, i, "role")));
		json_object_object_add(u, "active", json_object_new_boolean(db_res_bool(r, i, "active")));
		json_object_object_add(u, "created_at", json_object_new_string(db_res_str(r, i, "created_at")));
		if (*code) {
			json_object *d = json_object_new_object();
			json_object_object_add(d, "code", json_object_new_string(code));
			json_object_object_add(d, "name", json_object_new_string(db_res_str(r, i, "department_name")));
			json_object_object_add(u, "department", d);
		} else {
			json_object_object_add(u, "department", NULL);
		}
		json_object_array_add(list, u);
	}
	db_res_free(r);
	return list;
}

bool auth_user_set_active(struct db *db, const char *login, bool active, struct err *e)
{
	struct db_res *r;
	bool ok;

	if (!db_begin(db, e))
		return false;
	r = DB_EXEC(db, e, "UPDATE app_user SET active = $2::boolean WHERE login = $1 RETURNING id",
		    login, active ? "true" : "false");
	ok = r && db_res_rows(r) == 1;
	if (r && !ok)
		err_set(e, 404, ERR_NOT_FOUND, "no user with login \"%s\"", login);
	if (ok && !active)
		ok = DB_RUN(db, e, "DELETE FROM session WHERE user_id = $1::integer", db_res_str(r, 0, "id"));
	db_res_free(r);
	if (ok && db_commit(db, e))
		return true;
	db_rollback(db);
	return false;
}

bool auth_token_create(struct db *db, const char *login, const char *name,
		       char token[AUTH_SECRET_HEX], struct err *e)
{
	char hash_lit[2 * 32 + 3];
	struct db_res *r;
	bool ok;

	new_secret(token, hash_lit);
	r = DB_EXEC(db, e,
		    "INSERT INTO api_token (user_id, token_hash, name)"
		    " SELECT id, $2::bytea, $3 FROM app_user WHERE login = $1 RETURNING id",
		    login, hash_lit, name ? name : "");
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_set(e, 404, ERR_NOT_FOUND, "no user with login \"%s\"", login);
	return true;
}

json_object *auth_token_list(struct db *db, const char *login, struct err *e)
{
	struct db_res *r = DB_EXEC(db, e,
		"SELECT t.id, u.login, t.name, coalesce(t.channel, '') AS channel,"
		" iso(t.created_at) AS created_at, iso(t.last_used_at) AS last_used_at,"
		" iso(t.revoked_at) AS revoked_at"
		" FROM api_token t JOIN app_user u ON u.id = t.user_id"
		" WHERE $1::text IS NULL OR u.login = $1 ORDER BY t.id", login);
	json_object *list;

	if (!r)
		return NULL;
	list = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *t = json_object_new_object();
		const char *channel = db_res_str(r, i, "channel");

		json_object_object_add(t, "id", json_object_new_int64(db_res_ll(r, i, "id")));
		json_object_object_add(t, "login", json_object_new_string(db_res_str(r, i, "login")));
		json_object_object_add(t, "name", json_object_new_string(db_res_str(r, i, "name")));
		json_object_object_add(t, "channel", *channel ? json_object_new_string(channel) : NULL);
		json_object_object_add(t, "created_at", db_res_json_text(r, i, "created_at"));
		json_object_object_add(t, "last_used_at", db_res_json_text(r, i, "last_used_at"));
		json_object_object_add(t, "revoked_at", db_res_json_text(r, i, "revoked_at"));
		json_object_array_add(list, t);
	}
	db_res_free(r);
	return list;
}

bool auth_token_revoke(struct db *db, long long id, struct err *e)
{
	char n[24];
	struct db_res *r;
	bool ok;

	snprintf(n, sizeof(n), "%lld", id);
	r = DB_EXEC(db, e,
		    "UPDATE api_token SET revoked_at = coalesce(revoked_at, now())"
		    " WHERE id = $1::bigint RETURNING id", n);
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_set(e, 404, ERR_NOT_FOUND, "no API token %lld", id);
	return true;
}

bool auth_channel_key_create(struct db *db, const char *login, const char *name, const char *channel,
			     char token[AUTH_SECRET_HEX], struct err *e)
{
	char hash_lit[2 * 32 + 3];
	struct db_res *r;
	bool ok;

	if (!channel || !*channel)
		return err_field(e, 422, "channel", ERR_REQUIRED, "field \"channel\" is required");
	new_secret(token, hash_lit);
	r = DB_EXEC(db, e,
		    "INSERT INTO api_token (user_id, token_hash, name, channel)"
		    " SELECT u.id, $2::bytea, $3, c.code FROM app_user u, channel c"
		    " WHERE u.login = $1 AND c.code = $4 RETURNING id",
		    login, hash_lit, name ? name : "", channel);
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_set(e, 404, ERR_NOT_FOUND, "no user \"%s\" or no channel \"%s\"", login, channel);
	return true;
}

bool auth_channel_key(struct db *db, const char *key, struct channel_key *out, struct err *e)
{
	static const char sql[] =
		"SELECT t.id, t.name, t.channel,"
		" (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS use_stale"
		" FROM api_token t JOIN app_user u ON u.id = t.user_id"
		" WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL AND t.channel IS NOT NULL"
		" AND u.active";
	char hash_lit[2 * 32 + 3];
	struct db_res *r;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (!key || !secret_hash(key, hash_lit))
		return err_set(e, 403, ERR_FORBIDDEN, "invalid api_key");
	r = DB_EXEC_P(db, e, sql, hash_lit);
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (ok) {
		out->id = (int)db_res_ll(r, 0, "id");
		snprintf(out->name, sizeof(out->name), "%s", db_res_str(r, 0, "name"));
		snprintf(out->channel, sizeof(out->channel), "%s", db_res_str(r, 0, "channel"));
		if (db_res_bool(r, 0, "use_stale"))
			token_used(db, db_res_str(r, 0, "id"));
	} else {
		err_set(e, 403, ERR_FORBIDDEN, "invalid api_key");
	}
	db_res_free(r);
	return ok;
}

bool auth_principal_for(struct db *db, const char *login, struct principal *who, struct err *e)
{
	static const char sql[] =
		"SELECT" PRINCIPAL_COLUMNS " FROM app_user u LEFT JOIN department d ON d.id = u.department_id"
		" WHERE u.login = $1 AND u.active";
	struct db_res *r = DB_EXEC(db, e, sql, login);
	bool ok;

	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (ok)
		fill_principal(r, who);
	else
		err_set(e, 404, ERR_NOT_FOUND, "no active user with login \"%s\"", login);
	db_res_free(r);
	return ok;
}
