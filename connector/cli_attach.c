/* cli_attach.c — atrium attach, atrium attachments (list, get, remove) and
 * the contact photo of "contacts edit --photo": files of contacts,
 * appointments and tasks through the local blob cache (blobs.h).
 *
 * Everything is offline but "attachments get" of a file not in the cache
 * yet (it downloads it, then copies it out).  A file is checked before it
 * is taken: a photo by its content (JPEG, PNG or GIF, never by its name)
 * and the photo limit, an attachment by the per-file and per-item limits;
 * the limits are the session's as of the last sync, else the defaults of
 * lib/blob.h.  The sync uploads what the server does not have. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobs.h"
#include "common.h"

#define ATTACH_USAGE \
	"usage: atrium attach ID FILE [--name NAME]\n" \
	"       atrium attachments ID [--json]\n" \
	"       atrium attachments get ID NAME|BLOBID [--out FILE]\n" \
	"       atrium attachments remove ID NAME\n" \
	"       atrium attachments prune [--older-than SECONDS]\n" \
	"\n" \
	"ID is a contact, appointment or task (local or server id).  attach adds\n" \
	"FILE (or replaces the attachment of the same name); get downloads it on\n" \
	"demand into the local cache and copies it to FILE (default: NAME in the\n" \
	"current directory).  Changes go to the server at the next sync.  prune\n" \
	"removes cached files nothing here references any more (every sync does\n" \
	"it for files older than a week); they can be downloaded again.\n"

static char *cache_dir(ac_cli *cli)
{
	return ac_blob_cache_dir(cli->profile->dir);
}

/* The item and its type, when it may have attachments. */
static int load_item(ac_cli *cli, const char *ref, ac_item **it_r, const at_item_type **t_r,
		     at_error *err)
{
	if (ac_cli_open_store(cli, err) < 0 || ac_store_item_get(cli->store, ref, it_r, err) < 0)
		return -1;
	const at_item_type *t = at_model_item_type((*it_r)->type);
	if (t == NULL || at_model_field(t, "attachments") == NULL) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "%s is a %s: it has no attachments", ref, (*it_r)->type);
		ac_item_free(it_r);
		return -1;
	}
	*t_r = t;
	return 0;
}

static int save_attachments(ac_cli *cli, const ac_item *it, const at_item_type *t,
			    json_t *list, at_error *err)
{
	json_t *patch = json_pack("{s:O}", "attachments",
				  json_array_size(list) > 0 ? list : json_null());
	int rc = at_model_validate(t, patch, true, err);
	if (rc == 0)
		rc = ac_store_item_edit(cli->store, it->local_id, patch, err);
	json_decref(patch);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

int ac_cmd_attach(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *file = NULL, *name = NULL;
	at_error err;
	at_error_clear(&err);
	for (int i = 1; i < argc; i++) {
		const char *v;
		int r;
		if (ac_cli_is_help(argv[i])) {
			fputs(ATTACH_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--name", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			name = v;
		} else if (ref == NULL) {
			ref = argv[i];
		} else if (file == NULL) {
			file = argv[i];
		} else {
			return ac_cli_usage("unexpected argument \"%s\"", argv[i]);
		}
	}
	if (ref == NULL || file == NULL)
		return ac_cli_usage("attach needs an item ID and a FILE");
	if (name == NULL)
		name = base_name(file);
	ac_item *it = NULL;
	const at_item_type *t;
	char *cache = NULL;
	json_t *list = NULL;
	int ret = AC_EXIT_ERROR;
	if (load_item(cli, ref, &it, &t, &err) < 0)
		goto fail;
	ac_blob_limits lim;
	ac_blob_limits_get(cli->store, &lim);
	cache = cache_dir(cli);
	char id[AT_BLOB_ID_SIZE];
	int64_t size;
	const char *sniffed;
	if (ac_blob_import_file(cache, file, lim.max_blob, "one file (limits.maxBlobBytes)", id,
				&size, &sniffed, &err) < 0)
		goto fail;
	json_t *old = json_object_get(it->fields, "attachments");
	list = json_array();
	int64_t total = size;
	size_t i;
	json_t *a;
	json_array_foreach(old, i, a) {
		const char *n = ac_jstr(a, "name");
		if (n != NULL && strcmp(n, name) == 0)
			continue;  /* replaced */
		json_array_append(list, a);
		json_t *sz = json_object_get(a, "size");
		total += json_is_integer(sz) ? json_integer_value(sz) : 0;
	}
	if (json_array_size(list) >= AT_MAX_ATTACHMENTS) {
		at_error_set(&err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, "attachments",
			     "%s has %d attachments already, the limit", ref, AT_MAX_ATTACHMENTS);
		goto fail;
	}
	if (total > lim.max_per_item) {
		at_error_set(&err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, "attachments",
			     "the attachments of %s would be %lld bytes, the limit of one item "
			     "is %lld bytes (limits.maxAttachmentBytesPerItem)", ref,
			     (long long)total, (long long)lim.max_per_item);
		goto fail;
	}
	json_t *entry = json_pack("{s:s,s:s,s:I}", "blobId", id, "name", name, "size",
				  (json_int_t)size);
	if (sniffed != NULL)
		json_object_set_new(entry, "type", json_string(sniffed));
	json_array_append_new(list, entry);
	if (save_attachments(cli, it, t, list, &err) < 0)
		goto fail;
	printf("attached %s (%lld bytes) to %s\n", name, (long long)size, it->local_id);
	ret = AC_EXIT_OK;
	goto done;
fail:
	ret = ac_cli_fail(&err);
done:
	json_decref(list);
	free(cache);
	ac_item_free(&it);
	return ret;
}

static int attachments_list(ac_cli *cli, const char *ref, bool as_json)
{
	at_error err;
	ac_item *it = NULL;
	const at_item_type *t;
	at_error_clear(&err);
	if (load_item(cli, ref, &it, &t, &err) < 0)
		return ac_cli_fail(&err);
	char *cache = cache_dir(cli);
	json_t *list = json_object_get(it->fields, "attachments");
	json_t *out = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a) {
		json_t *o = json_deep_copy(a);
		json_object_set_new(o, "cached", json_boolean(ac_blob_cached(cache,
									    ac_jstr(a, "blobId"))));
		json_array_append_new(out, o);
	}
	if (as_json) {
		ac_print_json(out);
	} else if (json_array_size(out) == 0) {
		printf("no attachments\n");
	} else {
		json_array_foreach(out, i, a) {
			json_t *sz = json_object_get(a, "size");
			printf("%-32s %10lld  %-24s %s\n", ac_jstr(a, "name"),
			       json_is_integer(sz) ? (long long)json_integer_value(sz) : -1LL,
			       ac_jstr(a, "type") ? ac_jstr(a, "type") : "-",
			       json_is_true(json_object_get(a, "cached")) ? "cached"
									 : "on the server");
		}
	}
	json_decref(out);
	free(cache);
	ac_item_free(&it);
	return AC_EXIT_OK;
}

/* The entry of list named what (a name or a blob id), or NULL. */
static json_t *find_entry(json_t *list, const char *what, size_t *index_r)
{
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a) {
		const char *n = ac_jstr(a, "name"), *id = ac_jstr(a, "blobId");
		if ((n != NULL && strcmp(n, what) == 0) || (id != NULL && strcmp(id, what) == 0)) {
			if (index_r != NULL)
				*index_r = i;
			return a;
		}
	}
	return NULL;
}

/* Makes sure the cache has id, downloading it when needed. */
static int fetch(ac_cli *cli, const char *cache, const char *id, at_error *err)
{
	if (ac_blob_cached(cache, id))
		return 0;
	if (ac_cli_open_transport(cli, err) < 0)
		return -1;
	if (cli->transport.blob_fetch == NULL)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_SERVER, AT_RETRY_FINAL,
				    NULL, "this connection cannot download files");
	return cli->transport.blob_fetch(cli->transport.blob_ctx, id, err);
}

static int attachments_get(ac_cli *cli, int argc, char **argv)
{
	const char *ref = NULL, *what = NULL, *out = NULL;
	for (int i = 0; i < argc; i++) {
		const char *v;
		int r;
		if ((r = ac_cli_option(argc, argv, &i, "--out", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			out = v;
		} else if (ref == NULL) {
			ref = argv[i];
		} else if (what == NULL) {
			what = argv[i];
		} else {
			return ac_cli_usage("unexpected argument \"%s\"", argv[i]);
		}
	}
	if (ref == NULL || what == NULL)
		return ac_cli_usage("attachments get needs an item ID and a NAME or BLOBID");
	at_error err;
	at_error_clear(&err);
	ac_item *it = NULL;
	const at_item_type *t;
	char *cache = NULL;
	int ret = AC_EXIT_ERROR;
	if (load_item(cli, ref, &it, &t, &err) < 0)
		goto fail;
	json_t *a = find_entry(json_object_get(it->fields, "attachments"), what, NULL);
	if (a == NULL) {
		at_error_set(&err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "%s has no attachment \"%s\"", ref, what);
		goto fail;
	}
	cache = cache_dir(cli);
	const char *id = ac_jstr(a, "blobId");
	if (fetch(cli, cache, id, &err) < 0)
		goto fail;
	if (out == NULL)
		out = ac_jstr(a, "name");
	if (ac_blob_copy_out(cache, id, out, &err) < 0)
		goto fail;
	printf("%s\n", out);
	ret = AC_EXIT_OK;
	goto done;
fail:
	ret = ac_cli_fail(&err);
done:
	free(cache);
	ac_item_free(&it);
	return ret;
}

static int attachments_remove(ac_cli *cli, const char *ref, const char *what)
{
	at_error err;
	at_error_clear(&err);
	ac_item *it = NULL;
	const at_item_type *t;
	json_t *list = NULL;
	int ret;
	size_t index;
	if (load_item(cli, ref, &it, &t, &err) < 0)
		goto fail;
	list = json_deep_copy(json_object_get(it->fields, "attachments"));
	if (find_entry(list, what, &index) == NULL) {
		at_error_set(&err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "%s has no attachment \"%s\"", ref, what);
		goto fail;
	}
	json_array_remove(list, index);
	if (save_attachments(cli, it, t, list, &err) < 0)
		goto fail;
	printf("removed %s from %s\n", what, it->local_id);
	ret = AC_EXIT_OK;
	goto done;
fail:
	ret = ac_cli_fail(&err);
done:
	json_decref(list);
	ac_item_free(&it);
	return ret;
}

static int attachments_prune(ac_cli *cli, int argc, char **argv)
{
	long long older = AC_BLOB_CACHE_KEEP_SECONDS;
	const char *v;
	int r;
	for (int i = 0; i < argc; i++) {
		if ((r = ac_cli_option(argc, argv, &i, "--older-than", &v)) != 0) {
			char *end;
			if (r < 0)
				return AC_EXIT_USAGE;
			older = strtoll(v, &end, 10);
			if (*v == '\0' || *end != '\0' || older < 0)
				return ac_cli_usage("--older-than takes a number of seconds");
		} else {
			return ac_cli_usage("unexpected argument \"%s\"", argv[i]);
		}
	}
	at_error err;
	size_t removed;
	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0)
		return ac_cli_fail(&err);
	char *cache = cache_dir(cli);
	int rc = ac_blob_cache_prune(cache, cli->store, older, &removed, &err);
	free(cache);
	if (rc < 0)
		return ac_cli_fail(&err);
	printf("removed %zu cached file%s\n", removed, removed == 1 ? "" : "s");
	return AC_EXIT_OK;
}

int ac_cmd_attachments(ac_cli *cli, int argc, char **argv)
{
	if (argc < 2 || ac_cli_is_help(argv[1])) {
		fputs(ATTACH_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	if (strcmp(argv[1], "prune") == 0)
		return attachments_prune(cli, argc - 2, argv + 2);
	if (strcmp(argv[1], "get") == 0)
		return attachments_get(cli, argc - 2, argv + 2);
	if (strcmp(argv[1], "remove") == 0) {
		if (argc != 4)
			return ac_cli_usage("attachments remove needs an item ID and a NAME");
		return attachments_remove(cli, argv[2], argv[3]);
	}
	bool as_json = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			as_json = true;
		else
			return ac_cli_usage("unexpected argument \"%s\"", argv[i]);
	}
	return attachments_list(cli, argv[1], as_json);
}

int ac_cli_photo_field(ac_cli *cli, const char *file, json_t **photo_r)
{
	at_error err;
	at_error_clear(&err);
	unsigned char *head = malloc(AT_IMAGE_SNIFF_BYTES);
	char *cache = NULL;
	int ret = AC_EXIT_ERROR;
	if (head == NULL)
		abort();
	if (ac_cli_open_store(cli, &err) < 0)
		goto fail;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		at_error_set(&err, AT_E_NOT_FOUND, AT_SCOPE_ITEM, AT_RETRY_FINAL, "photo",
			     "cannot read %s: %s", file, strerror(errno));
		goto fail;
	}
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, head + got, AT_IMAGE_SNIFF_BYTES - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == AT_IMAGE_SNIFF_BYTES)
			break;
	}
	close(fd);
	const char *type = at_image_sniff(head, got, NULL, NULL);
	if (type == NULL) {
		at_error_set(&err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, "photo",
			     "%s is not a JPEG, PNG or GIF image (a photo is checked by its "
			     "content, not its name)", file);
		goto fail;
	}
	ac_blob_limits lim;
	ac_blob_limits_get(cli->store, &lim);
	cache = cache_dir(cli);
	char id[AT_BLOB_ID_SIZE];
	int64_t size;
	if (ac_blob_import_file(cache, file, lim.max_photo, "a photo (limits.maxPhotoBytes)", id,
				&size, NULL, &err) < 0)
		goto fail;
	*photo_r = json_pack("{s:s,s:s,s:I}", "blobId", id, "type", type, "size",
			     (json_int_t)size);
	ret = -1;
	goto done;
fail:
	ret = ac_cli_fail(&err);
done:
	free(head);
	free(cache);
	return ret;
}
