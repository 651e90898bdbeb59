/* blob.c — see blob.h. */
#include "blob.h"

#include <stdio.h>
#include <string.h>

/* ---- ids ------------------------------------------------------------------- */

void at_blob_hash_init(at_blob_hash *h)
{
	crypto_hash_sha256_init(&h->state);
}

void at_blob_hash_update(at_blob_hash *h, const void *data, size_t len)
{
	crypto_hash_sha256_update(&h->state, data, len);
}

void at_blob_hash_final(at_blob_hash *h, char id_r[AT_BLOB_ID_SIZE])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h->state, digest);
	memcpy(id_r, AT_BLOB_ID_PREFIX, 7);
	sodium_bin2hex(id_r + 7, AT_BLOB_ID_SIZE - 7, digest, sizeof(digest));
}

void at_blob_id_of(const void *data, size_t len, char id_r[AT_BLOB_ID_SIZE])
{
	at_blob_hash h;
	at_blob_hash_init(&h);
	at_blob_hash_update(&h, data, len);
	at_blob_hash_final(&h, id_r);
}

bool at_blob_id_valid(const char *id)
{
	if (id == NULL || strncmp(id, AT_BLOB_ID_PREFIX, 7) != 0 || strlen(id) != AT_BLOB_ID_LEN)
		return false;
	for (const char *p = id + 7; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int at_blob_rel_path(const char *id, char buf[AT_BLOB_REL_PATH_SIZE])
{
	if (!at_blob_id_valid(id))
		return -1;
	snprintf(buf, AT_BLOB_REL_PATH_SIZE, "%.2s/%s", id + 7, id + 9);
	return 0;
}

/* RFC 6838 restricted-name: a letter or digit, then up to 126 of
 * letters, digits and ! # $ & - ^ _ . + */
static size_t restricted_name(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');
		if (n == 0 ? !alnum : !(alnum || strchr("!#$&-^_.+", c) != NULL))
			break;
	}
	return n;
}

bool at_blob_type_valid(const char *type)
{
	if (type == NULL || strlen(type) > AT_BLOB_TYPE_MAX)
		return false;
	size_t a = restricted_name(type);
	if (a == 0 || type[a] != '/')
		return false;
	size_t b = restricted_name(type + a + 1);
	return b > 0 && type[a + 1 + b] == '\0';
}

/* ---- image sniffing ---------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static const char *sniff_png(const unsigned char *d, size_t len, unsigned *w, unsigned *h)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
	if (len < 33 || memcmp(d, sig, 8) != 0)
		return NULL;
	/* the first chunk is IHDR, 13 bytes */
	if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
		return NULL;
	uint32_t width = be32(d + 16), height = be32(d + 20);
	unsigned depth = d[24], colour = d[25];
	if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu)
		return NULL;
	if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16)
		return NULL;
	if (colour != 0 && colour != 2 && colour != 3 && colour != 4 && colour != 6)
		return NULL;
	if (d[26] != 0 || d[27] != 0 || d[28] > 1)
		return NULL;
	*w = width;
	*h = height;
	return "image/png";
}

static const char *sniff_gif(const unsigned char *d, size_t len, unsigned *w, unsigned *h)
{
	if (len < 13 || (memcmp(d, "GIF87a", 6) != 0 && memcmp(d, "GIF89a", 6) != 0))
		return NULL;
	unsigned width = d[6] | (unsigned)d[7] << 8, height = d[8] | (unsigned)d[9] << 8;
	if (width == 0 || height == 0)
		return NULL;
	*w = width;
	*h = height;
	return "image/gif";
}

static bool jpeg_sof(unsigned m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* Walks the marker segments after SOI up to the frame header (SOFn). */
static const char *sniff_jpeg(const unsigned char *d, size_t len, unsigned *w, unsigned *h)
{
	if (len < 4 || d[0] != 0xff || d[1] != 0xd8 || d[2] != 0xff)
		return NULL;
	size_t p = 2;
	for (;;) {
		if (p >= len)
			break;
		if (d[p] != 0xff)
			return NULL;
		while (p < len && d[p] == 0xff)  /* fill bytes */
			p++;
		if (p >= len)
			break;
		unsigned m = d[p++];
		if (m == 0x00 || m == 0xd8 || m == 0xd9 || m == 0xda || (m >= 0xd0 && m <= 0xd7))
			return NULL;  /* no data, EOI or scan before the frame header */
		if (m == 0x01)
			continue;     /* TEM: no length */
		if (p + 2 > len)
			break;
		unsigned seg = be16(d + p);
		if (seg < 2)
			return NULL;
		if (jpeg_sof(m)) {
			if (seg < 8)
				return NULL;
			if (p + 8 > len)
				return len >= AT_IMAGE_SNIFF_BYTES ? "image/jpeg" : NULL;
			/* length, precision, height, width, components */
			unsigned height = be16(d + p + 3), width = be16(d + p + 5);
			if (width == 0 || height == 0 || d[p + 2] == 0 || d[p + 7] == 0)
				return NULL;
			*w = width;
			*h = height;
			return "image/jpeg";
		}
		if (!((m >= 0xe0 && m <= 0xef) || m == 0xdb || m == 0xc4 || m == 0xdd ||
		      m == 0xfe || m == 0xcc || m == 0xdc || m == 0xde || m == 0xdf ||
		      (m >= 0xf0 && m <= 0xfd)))
			return NULL;
		p += seg;
	}
	/* the window ended inside well-formed segments before the frame
	 * header: a large EXIF block; only a file cut short is refused */
	return len >= AT_IMAGE_SNIFF_BYTES ? "image/jpeg" : NULL;
}

const char *at_image_sniff(const unsigned char *data, size_t len, unsigned *w_r,
			   unsigned *h_r)
{
	unsigned w = 0, h = 0;
	const char *type = NULL;
	if (data != NULL) {
		type = sniff_png(data, len, &w, &h);
		if (type == NULL)
			type = sniff_gif(data, len, &w, &h);
		if (type == NULL)
			type = sniff_jpeg(data, len, &w, &h);
	}
	if (type == NULL)
		w = h = 0;
	if (w_r != NULL)
		*w_r = w;
	if (h_r != NULL)
		*h_r = h;
	return type;
}

bool at_image_type_known(const char *type)
{
	return type != NULL && (strcmp(type, "image/jpeg") == 0 || strcmp(type, "image/png") == 0 ||
				strcmp(type, "image/gif") == 0);
}

/* ---- field definitions ------------------------------------------------------------ */

static const char *const photo_types[] = {"image/jpeg", "image/png", "image/gif", NULL};

const at_field_def at_blob_photo_members[AT_BLOB_PHOTO_N_MEMBERS] = {
	{.name = "blobId", .type = AT_FT_TEXT, .max_len = AT_BLOB_ID_MAX,
	 .label = "the blob (sha256:HEX)", .flags = AT_FF_REQUIRED},
	{.name = "type", .type = AT_FT_ENUM, .label = "image/jpeg, image/png or image/gif",
	 .values = photo_types, .flags = AT_FF_REQUIRED},
	{.name = "size", .type = AT_FT_INT, .label = "bytes (set by the server)", .min = 0,
	 .max = AT_BLOB_MAX_BYTES},
};

const at_field_def at_blob_attachment_members[AT_BLOB_ATTACHMENT_N_MEMBERS] = {
	{.name = "blobId", .type = AT_FT_TEXT, .max_len = AT_BLOB_ID_MAX,
	 .label = "the blob (sha256:HEX)", .flags = AT_FF_REQUIRED},
	{.name = "name", .type = AT_FT_TEXT, .max_len = AT_BLOB_NAME_MAX,
	 .label = "file name", .flags = AT_FF_REQUIRED},
	{.name = "type", .type = AT_FT_TEXT, .max_len = AT_BLOB_TYPE_MAX,
	 .label = "media type (set by the server)"},
	{.name = "size", .type = AT_FT_INT, .label = "bytes (set by the server)", .min = 0,
	 .max = AT_BLOB_MAX_BYTES},
};

static int check_blob_id(json_t *o, const char *path, at_error *err)
{
	const char *id = json_string_value(json_object_get(o, "blobId"));
	if (!at_blob_id_valid(id)) {
		char field[AT_ERROR_FIELD_MAX];
		snprintf(field, sizeof(field), "%.48s.blobId", path);
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field,
				    "%s must be \"sha256:\" and 64 lower-case hex digits", field);
	}
	return 0;
}

int at_blob_photo_check(const at_field_def *f, json_t *o, const char *path, at_error *err)
{
	(void)f;
	return check_blob_id(o, path, err);
}

int at_blob_attachment_check(const at_field_def *f, json_t *o, const char *path,
			     at_error *err)
{
	(void)f;
	if (check_blob_id(o, path, err) < 0)
		return -1;
	char field[AT_ERROR_FIELD_MAX];
	const char *name = json_string_value(json_object_get(o, "name"));
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strchr(name, '\\') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(field, sizeof(field), "%.48s.name", path);
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field,
				    "%s must be a file name without / or \\ (not . or ..)",
				    field);
	}
	const char *type = json_string_value(json_object_get(o, "type"));
	if (type != NULL && !at_blob_type_valid(type)) {
		snprintf(field, sizeof(field), "%.48s.type", path);
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field,
				    "%s must be a media type such as application/pdf", field);
	}
	return 0;
}
