/*
 * GET /static/{file}: the stylesheet, the script and the icon, read into
 * memory at start. Only files found in the directory then are served
 * (nothing is opened by a name from the request). Links carry the
 * content's hash (?v=…), so the files are cached for a year; in
 * development they are re-read when they change and not cached.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/array.h"
#include "core/log.h"
#include "web/web_private.h"

struct asset {
	char *name;
	char *path;
	const char *content_type;
	struct buf body;
	char version[17];	/* FNV-1a 64 of the content, hex */
	char etag[20];
	time_t mtime;
	off_t size;
};

static struct {
	struct asset *items;
	size_t n;
	bool dev;
	pthread_mutex_t lock;	/* development: guards re-reading */
	bool ready;
} assets;

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *type_of(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		size_t k = strlen(types[i].ext);
		if (n > k && !strcmp(name + n - k, types[i].ext))
			return types[i].type;
	}
	return NULL;
}

static void hash_content(struct asset *a)
{
	unsigned long long h = 1469598103934665603ULL;

	for (size_t i = 0; i < a->body.len; i++) {
		h ^= (unsigned char)a->body.data[i];
		h *= 1099511628211ULL;
	}
	snprintf(a->version, sizeof(a->version), "%016llx", h);
	snprintf(a->etag, sizeof(a->etag), "\"%.16s\"", a->version);
}

/* (Re)reads the asset's file. False with `e` if it cannot be read. */
static bool asset_read(struct asset *a, struct err *e)
{
	struct buf body = BUF_INIT;
	struct stat st;

	if (stat(a->path, &st) != 0)
		return err_set(e, 500, ERR_IO, "cannot stat \"%s\"", a->path);
	if (!buf_read_file(&body, a->path, e))
		return false;
	buf_release(&a->body);
	a->body = body;
	a->mtime = st.st_mtime;
	a->size = st.st_size;
	hash_content(a);
	return true;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const struct asset *)x)->name, ((const struct asset *)y)->name);
}

bool static_load(const char *dir, bool dev, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	size_t cap = 0;

	if (!d)
		return err_set(e, 500, ERR_IO, "cannot open the static files directory \"%s\"", dir);
	while ((ent = readdir(d))) {
		const char *type = type_of(ent->d_name);
		if (ent->d_name[0] == '.' || !type)
			continue;
		if (assets.n == cap) {
			cap = cap ? cap * 2 : 8;
			assets.items = xrealloc(assets.items, cap * sizeof(*assets.items));
		}
		struct asset *a = &assets.items[assets.n];
		memset(a, 0, sizeof(*a));
		buf_init(&a->body);
		a->name = xstrdup(ent->d_name);
		a->path = xasprintf("%s/%s", dir, ent->d_name);
		a->content_type = type;
		assets.n++;
		if (!asset_read(a, e)) {
			closedir(d);
			static_release();
			return false;
		}
	}
	closedir(d);
	if (assets.n)
		qsort(assets.items, assets.n, sizeof(*assets.items), by_name);
	pthread_mutex_init(&assets.lock, NULL);
	assets.dev = dev;
	assets.ready = true;
	return true;
}

void static_release(void)
{
	for (size_t i = 0; i < assets.n; i++) {
		free(assets.items[i].name);
		free(assets.items[i].path);
		buf_release(&assets.items[i].body);
	}
	free(assets.items);
	if (assets.ready)
		pthread_mutex_destroy(&assets.lock);
	memset(&assets, 0, sizeof(assets));
}

static struct asset *find(const char *name)
{
	struct asset key = { .name = (char *)name };

	if (!name || !assets.n)
		return NULL;
	return bsearch(&key, assets.items, assets.n, sizeof(*assets.items), by_name);
}

/* Development: re-reads the file if it changed. Call with the lock held. */
static void refresh(struct asset *a)
{
	struct err e = ERR_INIT;
	struct stat st;

	if (stat(a->path, &st) == 0 && (st.st_mtime != a->mtime || st.st_size != a->size)
	    && !asset_read(a, &e))
		log_warn("web: %s", e.message);
}

void static_version(const char *name, char out[17])
{
	struct asset *a = find(name);

	out[0] = '\0';
	if (!a)
		return;
	if (assets.dev) {
		pthread_mutex_lock(&assets.lock);
		refresh(a);
		memcpy(out, a->version, 17);
		pthread_mutex_unlock(&assets.lock);
	} else {
		memcpy(out, a->version, 17);
	}
}

void static_get(struct http_req *req)
{
	struct asset *a = find(http_param(req, "file"));
	const char *inm = http_header(req, "If-None-Match");

	if (!a) {
		http_reply_error(req, 404, ERR_NOT_FOUND, "no static file \"%s\"", http_param(req, "file"));
		return;
	}
	if (assets.dev) {
		pthread_mutex_lock(&assets.lock);
		refresh(a);
		http_set_header(req, "Cache-Control", "no-cache");
		http_set_header(req, "ETag", a->etag);
		if (inm && !strcmp(inm, a->etag))
			http_reply(req, 304, a->content_type, "", 0);
		else
			http_reply(req, 200, a->content_type, a->body.data, a->body.len);
		pthread_mutex_unlock(&assets.lock);
		return;
	}
	http_set_header(req, "Cache-Control", "public, max-age=31536000, immutable");
	http_set_header(req, "ETag", a->etag);
	if (inm && !strcmp(inm, a->etag))
		http_reply(req, 304, a->content_type, "", 0);
	else
		http_reply(req, 200, a->content_type, a->body.data, a->body.len);
}
