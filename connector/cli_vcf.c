/* cli_vcf.c — atrium import vcf / atrium export vcf.
 *
 *   atrium import vcf FILE... [--folder PATH]
 *   atrium export vcf DIR|FILE [--folder PATH] [--version 3.0|4.0]
 *
 * Both work on the local store only, like the contacts commands: an import
 * makes local creates (sent by the next "atrium sync"), an export writes
 * what the store holds.  Reading and writing vCards, and the mapping to the
 * contact fields, are lib/vcard.h's; properties without a contact field
 * travel in the field vcardExtra and come out again on export.
 *
 * Import: each card becomes one contact, each KIND:group card (or Apple's
 * X-ADDRESSBOOKSERVER-KIND) one distribution list.  Lists come after every
 * contact of the command, so that a member naming a contact by its UID
 * ("urn:uuid:...") finds it among the cards just imported or the contacts
 * of the folder (by the UID they were imported with, or the server id an
 * export wrote as UID); such a member becomes a reference to the contact:
 * its server id, or "#" and its client id while the contact has not been
 * synced (the server resolves those, protocol.md).  Members naming nothing
 * known are kept verbatim.  A card that cannot be imported (broken, a value
 * over a field's limit) is reported on stderr as FILE:LINE: message and
 * skipped; the others are imported, in one transaction for the whole
 * command.  Exit status 0 when every card was imported, 1 when some were
 * skipped or a file could not be read.
 *
 * Export: DIR (an existing directory, or a path ending in '/') gets one
 * NAME.vcf per contact and list, NAME being its server id (its local id
 * before its first sync); anything else is one file holding all the cards.
 * A list's members that reference contacts are written with those
 * contacts' UIDs (as exported), or as plain addresses when the contact is
 * not on this device.  Files are
 * replaced atomically.  The default version is 3.0, which every address
 * book reads (Outlook reads no 4.0).
 *
 * Photos: lib/vcard.h maps no PHOTO (a photo is bytes, not a JSON field);
 * this file does.  On import the first inline PHOTO that is a JPEG, PNG or
 * GIF within the photo limit becomes the contact's photo field, its bytes
 * put into the blob cache (blobs.h) under their hash, so the sync uploads
 * them; other PHOTOs stay in vcardExtra.  On export the photo is written
 * back inline (base64; a data: URI in 4.0), from the cache or downloaded
 * into it first. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#include "blobs.h"
#include "cards.h"
#include "common.h"
#include "model.h"
#include "vcard.h"

#define IMPORT_USAGE \
	"usage: atrium import vcf FILE... [--folder PATH]\n" \
	"\n" \
	"Adds each card of the vCard files (2.1, 3.0 or 4.0) as a contact of the\n" \
	"local store (default: your Contacts folder); \"atrium sync\" sends them.\n" \
	"Cards that cannot be imported are listed as FILE:LINE: reason and\n" \
	"skipped.  Properties without a contact field are kept and exported\n" \
	"again.\n"

#define EXPORT_USAGE \
	"usage: atrium export vcf DIR|FILE [--folder PATH] [--version 3.0|4.0]\n" \
	"\n" \
	"Writes the contacts of a folder (default: your Contacts folder) as\n" \
	"vCards: into DIR (an existing directory, or a path ending in /) one\n" \
	"file per contact, named after its id; otherwise all of them into FILE.\n" \
	"The default version is 3.0.\n"

/* "line 12: message" -> 12 and "message"; 0 and the whole text otherwise. */
static unsigned split_line(const char *message, const char **rest_r)
{
	unsigned line = 0;
	int used = 0;
	if (sscanf(message, "line %u: %n", &line, &used) == 1 && used > 0) {
		*rest_r = message + used;
		return line;
	}
	*rest_r = message;
	return 0;
}

static void report(const char *file, const char *message)
{
	const char *rest;
	unsigned line = split_line(message, &rest);
	if (line > 0)
		fprintf(stderr, "%s:%u: %s\n", file, line, rest);
	else
		fprintf(stderr, "%s: %s\n", file, rest);
}

/* The folder to work on: --folder, else the user's Contacts folder. */
static int resolve_folder(ac_cli *cli, const char *folder, char id_r[AC_ID_SIZE],
			  at_error *err)
{
	if (folder != NULL)
		return ac_store_find_folder(cli->store, folder, id_r, err);
	return ac_store_default_folder(cli->store, AT_MODULE_CONTACTS, id_r, err);
}

typedef struct import_counts {
	size_t cards, imported, lists, skipped;
	bool file_failed;
} import_counts;

/* What an import keeps between its two passes: list cards wait for every
 * contact of the command; uids maps the UIDs of contacts to references. */
typedef struct import_run {
	at_arena *a;
	json_t *uids;                  /* {"UID": "server id" or "#client id"} */
	struct pending_list {
		const char *path;
		const at_vcard *card;
	} *lists;
	size_t n_lists, cap_lists;
} import_run;

/* The contacts already in the folder, by UID and by server id. */
static int index_folder(ac_cli *cli, const char *folder_id, import_run *run, at_error *err)
{
	ac_item_list items = {0};
	if (ac_store_items(cli->store, folder_id, &items, err) < 0)
		return -1;
	for (size_t i = 0; i < items.n; i++) {
		ac_item *it = items.v[i];
		if (it->state == AC_STATE_DELETED || strcmp(it->type, "contact") != 0)
			continue;
		const char *ref = ac_card_ref(it, run->a);
		ac_card_index_put(run->uids, ac_card_fields_uid(it->fields, run->a), ref, run->a);
		if (it->server_id[0] != '\0')
			ac_card_index_put(run->uids, it->server_id, ref, run->a);
	}
	ac_item_list_free(&items);
	return 0;
}

static const char *resolve_member(void *ctx, const char *uri)
{
	import_run *run = ctx;
	return json_string_value(json_object_get(run->uids, uri));
}

/* The photo of a card (cards.h): into the blob cache and the photo field. */
static int lift_photo(ac_cli *cli, const at_vcard *card, json_t *fields, at_error *err)
{
	ac_blob_limits lim;
	ac_blob_limits_get(cli->store, &lim);
	char *cache = ac_blob_cache_dir(cli->profile->dir);
	int rc = ac_card_lift_photo(cache, lim.max_photo, card, fields, err);
	free(cache);
	return rc;
}

/* The fields a contact is written with: those of the item, and its photo
 * (from the blob cache, downloaded when missing) as an inline PHOTO line
 * in vcardExtra.  A photo that cannot be read is left out with a warning.
 * Returns a new reference. */
static json_t *export_fields(ac_cli *cli, const ac_item *it, at_vcard_version version)
{
	const char *id = ac_jstr(json_object_get(it->fields, "photo"), "blobId");
	char *cache = ac_blob_cache_dir(cli->profile->dir);
	json_t *fields = NULL;
	at_error e;
	at_error_clear(&e);
	if (id != NULL && !ac_blob_cached(cache, id) &&
	    (ac_cli_open_transport(cli, &e) < 0 || cli->transport.blob_fetch == NULL ||
	     cli->transport.blob_fetch(cli->transport.blob_ctx, id, &e) < 0)) {
		fprintf(stderr, "atrium: contact %s: photo left out: %s\n", it->local_id,
			e.message[0] ? e.message : "cannot download it");
		at_error_clear(&e);
	}
	if (ac_card_photo_inline(it->fields, cache, version, &fields, &e) > 0 && e.message[0])
		fprintf(stderr, "atrium: contact %s: photo left out: %s\n", it->local_id,
			e.message);
	free(cache);
	return fields;
}

static int import_file(ac_cli *cli, const char *path, const char *folder_id, import_run *run,
		       import_counts *n, at_error *err)
{
	char *data = NULL;
	size_t len;
	at_vcard_list list;
	at_error e;
	int ret = -1;

	at_error_clear(&e);
	if (ac_read_file(path, AT_VCARD_MAX_INPUT, &data, &len, &e) < 0) {
		fprintf(stderr, "atrium: %s\n", e.message);
		n->file_failed = true;
		return 0;
	}
	if (at_vcard_parse(data, len, run->a, &list, &e) < 0) {
		report(path, e.message);
		n->file_failed = true;
		ret = 0;
		goto done;
	}
	if (list.n_cards == 0)
		fprintf(stderr, "%s: no vCard in the file\n", path);
	for (size_t i = 0; i < list.n_cards; i++) {
		const at_vcard *card = &list.cards[i];
		json_t *fields = NULL;
		char local_id[AC_ID_SIZE];
		n->cards++;
		if (card->error_code == NULL && at_vcard_is_list(card)) {
			if (run->n_lists == run->cap_lists) {
				run->cap_lists = run->cap_lists ? run->cap_lists * 2 : 16;
				run->lists = realloc(run->lists, run->cap_lists * sizeof(*run->lists));
				if (run->lists == NULL)
					abort();
			}
			run->lists[run->n_lists].path = at_arena_strdup(run->a, path);
			run->lists[run->n_lists++].card = card;
			continue;
		}
		at_error_clear(&e);
		if (at_vcard_to_fields(card, &fields, &e) < 0) {
			report(path, e.message);
			n->skipped++;
			continue;
		}
		if (lift_photo(cli, card, fields, err) < 0) {
			json_decref(fields);
			goto done;
		}
		const char *uid = ac_card_fields_uid(fields, run->a);
		int rc = ac_store_item_add(cli->store, folder_id, "contact", fields, local_id, err);
		json_decref(fields);
		if (rc < 0)
			goto done;  /* the store failed: the whole import rolls back */
		ac_card_index_put(run->uids, uid, at_arena_printf(run->a, "#%s", local_id), run->a);
		n->imported++;
	}
	ret = 0;
done:
	free(data);
	return ret;
}

/* The second pass: the lists, now that every contact is in. */
static int import_lists(ac_cli *cli, const char *folder_id, import_run *run,
			import_counts *n, at_error *err)
{
	for (size_t i = 0; i < run->n_lists; i++) {
		json_t *fields = NULL;
		char local_id[AC_ID_SIZE];
		at_error e;
		at_error_clear(&e);
		if (at_vcard_list_to_fields(run->lists[i].card, resolve_member, run, &fields, &e) <
		    0) {
			report(run->lists[i].path, e.message);
			n->skipped++;
			continue;
		}
		int rc = ac_store_item_add(cli->store, folder_id, "distributionList", fields,
					   local_id, err);
		json_decref(fields);
		if (rc < 0)
			return -1;
		n->lists++;
	}
	return 0;
}

int ac_cmd_import(ac_cli *cli, int argc, char **argv)
{
	const char *folder = NULL, *v;
	const char **files = NULL;
	size_t n_files = 0;
	char folder_id[AC_ID_SIZE] = "";
	import_counts n = {0};
	import_run run = {0};
	at_error err;
	int ret = AC_EXIT_ERROR, r;

	if (argc < 2 || ac_cli_is_help(argv[1])) {
		fputs(IMPORT_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	if (strcmp(argv[1], "vcf") != 0)
		return ac_cli_usage("import: unknown format \"%s\" (vcf is imported)", argv[1]);
	files = calloc((size_t)argc, sizeof(*files));
	if (files == NULL)
		abort();
	for (int i = 2; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(IMPORT_USAGE, stdout);
			ret = AC_EXIT_OK;
			goto done;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0) {
				ret = AC_EXIT_USAGE;
				goto done;
			}
			folder = v;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			ret = ac_cli_usage("import vcf: unknown option %s", argv[i]);
			goto done;
		} else {
			files[n_files++] = argv[i];
		}
	}
	if (n_files == 0) {
		ret = ac_cli_usage("import vcf needs at least one FILE");
		goto done;
	}
	at_error_clear(&err);
	run.a = at_arena_new(0);
	run.uids = json_object();
	if (ac_cli_open_store(cli, &err) < 0 || resolve_folder(cli, folder, folder_id, &err) < 0 ||
	    index_folder(cli, folder_id, &run, &err) < 0 || ac_store_begin(cli->store, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	for (size_t i = 0; i < n_files; i++) {
		if (import_file(cli, files[i], folder_id, &run, &n, &err) < 0) {
			ac_store_rollback(cli->store);
			fprintf(stderr, "atrium: nothing was imported: %s\n", err.message);
			goto done;
		}
	}
	if (import_lists(cli, folder_id, &run, &n, &err) < 0) {
		ac_store_rollback(cli->store);
		fprintf(stderr, "atrium: nothing was imported: %s\n", err.message);
		goto done;
	}
	if (ac_store_commit(cli->store, &err) < 0) {
		fprintf(stderr, "atrium: nothing was imported: %s\n", err.message);
		goto done;
	}
	printf("imported %zu contact%s and %zu list%s, skipped %zu of %zu card%s\n",
	       n.imported, n.imported == 1 ? "" : "s", n.lists, n.lists == 1 ? "" : "s",
	       n.skipped, n.cards, n.cards == 1 ? "" : "s");
	ret = n.skipped > 0 || n.file_failed ? AC_EXIT_ERROR : AC_EXIT_OK;
done:
	free(files);
	free(run.lists);
	json_decref(run.uids);
	at_arena_free(&run.a);
	return ret;
}

/* A file name from an id: letters, digits, '-', '_' and '.' (not first). */
static void file_name(const char *id, char *buf, size_t size)
{
	size_t o = 0;
	for (const char *p = id; *p != '\0' && o + 5 < size; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || (c == '.' && o > 0);
		buf[o++] = ok ? c : '_';
	}
	if (o == 0)
		buf[o++] = '_';
	memcpy(buf + o, ".vcf", 5);
}

typedef struct export_run {
	ac_cli *cli;
	at_arena *a;
} export_run;

/* A list member's contact -> the UID its card has: the one it was
 * imported with, else its server id (local id before its first sync). */
static const char *member_uid(void *ctx, const char *contact_id)
{
	export_run *run = ctx;
	ac_item *it = ac_card_member_contact(run->cli->store, contact_id);
	const char *urn = NULL;
	if (it != NULL)
		urn = ac_card_member_urn(
			it, it->server_id[0] != '\0' ? it->server_id : it->local_id, run->a);
	ac_item_free(&it);
	return urn;
}

int ac_cmd_export(ac_cli *cli, int argc, char **argv)
{
	const char *folder = NULL, *target = NULL, *v;
	at_vcard_version version = AT_VCARD_V30;
	char folder_id[AC_ID_SIZE] = "";
	ac_item_list items = {0}, unassigned = {0};
	at_buf all, one;
	size_t exported = 0, failed = 0;
	export_run run = {.cli = cli, .a = NULL};
	at_error err;
	int ret = AC_EXIT_ERROR, r;

	at_buf_init(&all, 0);
	at_buf_init(&one, 0);
	if (argc < 2 || ac_cli_is_help(argv[1])) {
		fputs(EXPORT_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? AC_EXIT_USAGE : AC_EXIT_OK;
	}
	if (strcmp(argv[1], "vcf") != 0)
		return ac_cli_usage("export: unknown format \"%s\" (vcf is exported)", argv[1]);
	for (int i = 2; i < argc; i++) {
		if (ac_cli_is_help(argv[i])) {
			fputs(EXPORT_USAGE, stdout);
			return AC_EXIT_OK;
		}
		if ((r = ac_cli_option(argc, argv, &i, "--folder", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			folder = v;
		} else if ((r = ac_cli_option(argc, argv, &i, "--version", &v)) != 0) {
			if (r < 0)
				return AC_EXIT_USAGE;
			if (strcmp(v, "3.0") == 0 || strcmp(v, "3") == 0)
				version = AT_VCARD_V30;
			else if (strcmp(v, "4.0") == 0 || strcmp(v, "4") == 0)
				version = AT_VCARD_V40;
			else
				return ac_cli_usage("export vcf: --version is 3.0 or 4.0");
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return ac_cli_usage("export vcf: unknown option %s", argv[i]);
		} else if (target == NULL) {
			target = argv[i];
		} else {
			return ac_cli_usage("export vcf: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (target == NULL)
		return ac_cli_usage("export vcf needs a DIR or FILE");
	struct stat st;
	size_t tlen = strlen(target);
	bool dir = (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) ||
		   (tlen > 0 && target[tlen - 1] == '/');

	at_error_clear(&err);
	if (ac_cli_open_store(cli, &err) < 0 || resolve_folder(cli, folder, folder_id, &err) < 0)
		return ac_cli_fail(&err);
	run.a = at_arena_new(0);
	if (ac_store_items(cli->store, folder_id, &items, &err) < 0 ||
	    /* contacts added before the first sync belong to the default folder */
	    (folder == NULL && folder_id[0] != '\0' &&
	     ac_store_items(cli->store, "", &unassigned, &err) < 0)) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	if (dir && ac_mkdir_p(target, 0700, &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	for (size_t k = 0; k < items.n + unassigned.n; k++) {
		ac_item *it = k < items.n ? items.v[k] : unassigned.v[k - items.n];
		bool is_list = strcmp(it->type, "distributionList") == 0;
		if (it->state == AC_STATE_DELETED || (strcmp(it->type, "contact") != 0 && !is_list))
			continue;
		const char *id = it->server_id[0] != '\0' ? it->server_id : it->local_id;
		at_buf_truncate(&one, 0);
		at_error_clear(&err);
		json_t *fields = is_list ? json_incref(it->fields) : export_fields(cli, it, version);
		int rc = is_list ? at_vcard_list_from_fields(it->fields, version, id, member_uid, &run,
							     &one, &err)
				 : at_vcard_from_fields(fields, version, id, &one, &err);
		json_decref(fields);
		if (rc < 0) {
			fprintf(stderr, "atrium: %s %s: %s\n", is_list ? "list" : "contact",
				it->local_id, err.message);
			failed++;
			continue;
		}
		if (!dir) {
			at_buf_append(&all, one.data, one.len);
		} else {
			char name[AC_ID_SIZE + 8];
			file_name(id, name, sizeof(name));
			char *path = NULL;
			if (asprintf(&path, "%s%s%s", target, target[tlen - 1] == '/' ? "" : "/",
				     name) < 0)
				abort();
			int wrc = ac_write_file_atomic(path, one.data, one.len, 0600, &err);
			free(path);
			if (wrc < 0) {
				ret = ac_cli_fail(&err);
				goto done;
			}
		}
		exported++;
	}
	if (!dir && ac_write_file_atomic(target, all.data != NULL ? all.data : "", all.len, 0600,
					 &err) < 0) {
		ret = ac_cli_fail(&err);
		goto done;
	}
	printf("exported %zu card%s to %s\n", exported, exported == 1 ? "" : "s", target);
	ret = failed > 0 ? AC_EXIT_ERROR : AC_EXIT_OK;
done:
	at_buf_free(&all);
	at_buf_free(&one);
	ac_item_list_free(&items);
	ac_item_list_free(&unassigned);
	at_arena_free(&run.a);
	return ret;
}
