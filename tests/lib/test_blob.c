/* test_blob.c — blob ids (SHA-256, streaming equals one shot, the id
 * format and the cache path), media types, image sniffing (JPEG, PNG, GIF
 * by content and header; every truncation and random corruption stays in
 * bounds), and the photo/attachments field checks of the model. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "blob.h"
#include "model.h"

/* 2x3 RGB PNG (signature, IHDR, IDAT, IEND) */
static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a,
	0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 2, 0, 0, 0, 3, 8, 2, 0, 0, 0,
	0x12, 0x16, 0xf1, 0x4d,
	0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
};

/* SOI, APP0 JFIF, SOF0 16x8, EOI */
static const unsigned char jpeg[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
	0xff, 0xc0, 0x00, 0x11, 8, 0x00, 0x08, 0x00, 0x10, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
	0xff, 0xd9,
};

static const unsigned char gif[] = {
	'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
	',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 'D', 1, 0, ';',
};

static void test_hash(void **state)
{
	(void)state;
	char id[AT_BLOB_ID_SIZE];
	at_blob_id_of("", 0, id);
	assert_string_equal(id, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	at_blob_id_of("abc", 3, id);
	assert_string_equal(id, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* streaming in uneven pieces gives the same id as one shot */
	size_t n = 200000;
	unsigned char *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	char whole[AT_BLOB_ID_SIZE], pieces[AT_BLOB_ID_SIZE];
	at_blob_id_of(data, n, whole);
	at_blob_hash h;
	at_blob_hash_init(&h);
	for (size_t o = 0, step = 1; o < n; o += step, step = step * 3 % 9973 + 1)
		at_blob_hash_update(&h, data + o, o + step > n ? n - o : step);
	at_blob_hash_final(&h, pieces);
	assert_string_equal(whole, pieces);
	assert_true(at_blob_id_valid(whole));
	free(data);
}

static void test_ids_and_paths(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "sha256:", "sha1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
		"sha256:../../../etc/passwd00000000000000000000000000000000000000000000000",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char rel[AT_BLOB_REL_PATH_SIZE];
		check(!at_blob_id_valid(bad[i]), "\"%s\" accepted", bad[i]);
		check(at_blob_rel_path(bad[i], rel) < 0, "path for \"%s\"", bad[i]);
	}
	assert_false(at_blob_id_valid(NULL));
	char rel[AT_BLOB_REL_PATH_SIZE];
	assert_int_equal(at_blob_rel_path("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", rel), 0);
	assert_string_equal(rel, "e3/b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_types(void **state)
{
	(void)state;
	static const char *const good[] = {"application/pdf", "text/plain", "image/svg+xml",
					   "application/vnd.ms-excel", "x-a/b.c-d_e"};
	static const char *const bad[] = {"", "text", "text/", "/plain", "text/plain; charset=x",
					  "te xt/plain", "text/pl/ain", "-a/b"};
	for (size_t i = 0; i < N_ELEMS(good); i++)
		check(at_blob_type_valid(good[i]), "\"%s\" refused", good[i]);
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		check(!at_blob_type_valid(bad[i]), "\"%s\" accepted", bad[i]);
	char longer[200];
	memset(longer, 'a', sizeof(longer));
	longer[5] = '/';
	longer[sizeof(longer) - 1] = '\0';
	assert_false(at_blob_type_valid(longer));
}

static void test_sniff(void **state)
{
	(void)state;
	unsigned w, h;
	assert_string_equal(at_image_sniff(png, sizeof(png), &w, &h), "image/png");
	assert_int_equal(w, 2);
	assert_int_equal(h, 3);
	assert_string_equal(at_image_sniff(jpeg, sizeof(jpeg), &w, &h), "image/jpeg");
	assert_int_equal(w, 16);
	assert_int_equal(h, 8);
	assert_string_equal(at_image_sniff(gif, sizeof(gif), &w, &h), "image/gif");
	assert_int_equal(w, 1);
	/* not images */
	assert_null(at_image_sniff((const unsigned char *)"hello world, not a picture", 26, &w, &h));
	assert_int_equal(w, 0);
	assert_null(at_image_sniff(NULL, 0, NULL, NULL));
	/* a sane header is needed, not only the magic bytes */
	unsigned char bad[sizeof(png)];
	memcpy(bad, png, sizeof(png));
	bad[16] = bad[17] = bad[18] = bad[19] = 0;       /* width 0 */
	assert_null(at_image_sniff(bad, sizeof(bad), NULL, NULL));
	memcpy(bad, png, sizeof(png));
	bad[24] = 3;                                     /* bit depth 3 */
	assert_null(at_image_sniff(bad, sizeof(bad), NULL, NULL));
	memcpy(bad, png, sizeof(png));
	memcpy(bad + 12, "IDAT", 4);                     /* IHDR not first */
	assert_null(at_image_sniff(bad, sizeof(bad), NULL, NULL));
	unsigned char j[sizeof(jpeg)];
	memcpy(j, jpeg, sizeof(jpeg));
	j[25] = j[26] = 0;                               /* height 0 */
	j[27] = j[28] = 0;                               /* width 0 */
	assert_null(at_image_sniff(j, sizeof(j), NULL, NULL));
	memcpy(j, jpeg, sizeof(jpeg));
	j[21] = 0xda;                                    /* scan before the frame */
	assert_null(at_image_sniff(j, sizeof(j), NULL, NULL));
	unsigned char g[sizeof(gif)];
	memcpy(g, gif, sizeof(gif));
	g[6] = g[7] = 0;                                 /* width 0 */
	assert_null(at_image_sniff(g, sizeof(g), NULL, NULL));
	/* every truncation of a valid image: in bounds, and a short file is
	 * not taken for a whole image */
	const unsigned char *imgs[] = {png, jpeg, gif};
	size_t lens[] = {sizeof(png), sizeof(jpeg), sizeof(gif)};
	for (size_t k = 0; k < 3; k++)
		for (size_t n = 0; n < lens[k]; n++) {
			unsigned char *copy = malloc(n ? n : 1);  /* exact size: ASan sees overreads */
			memcpy(copy, imgs[k], n);
			const char *t = at_image_sniff(copy, n, NULL, NULL);
			if (k == 1)  /* a JPEG is taken once its frame header is in */
				check(t == NULL || n >= 30, "jpeg cut at %zu taken", n);
			else if (k == 0)
				check(t == NULL || n >= 33, "png cut at %zu taken", n);
			else
				check(t == NULL || n >= 13, "gif cut at %zu taken", n);
			free(copy);
		}
}

/* Random corruption: never a crash nor a read out of bounds (ASan builds). */
static void test_sniff_random(void **state)
{
	(void)state;
	unsigned seed = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % 96);
		unsigned char *buf = malloc(n ? n : 1);
		const unsigned char *base = round % 3 == 0 ? png : round % 3 == 1 ? jpeg : gif;
		size_t blen = round % 3 == 0 ? sizeof(png) : round % 3 == 1 ? sizeof(jpeg) : sizeof(gif);
		for (size_t i = 0; i < n; i++)
			buf[i] = i < blen && rand_r(&seed) % 8 != 0 ? base[i] : (unsigned char)rand_r(&seed);
		unsigned w = 99, h = 99;
		const char *t = at_image_sniff(buf, n, &w, &h);
		check(t != NULL || (w == 0 && h == 0), "sizes set without a type");
		free(buf);
	}
	/* a long JPEG whose segments run past the window: taken, size unknown */
	size_t n = AT_IMAGE_SNIFF_BYTES;
	unsigned char *big = calloc(1, n);
	big[0] = 0xff, big[1] = 0xd8;
	size_t p = 2;
	while (p + 4 <= n) {
		big[p] = 0xff, big[p + 1] = 0xe1, big[p + 2] = 0xff, big[p + 3] = 0xff;
		p += 2 + 0xffff;
	}
	unsigned w, h;
	assert_string_equal(at_image_sniff(big, n, &w, &h), "image/jpeg");
	assert_int_equal(w, 0);
	free(big);
}

static void test_fields(void **state)
{
	(void)state;
	const at_item_type *contact = at_model_item_type("contact");
	at_error err;
	json_t *f = json_pack("{s:{s:s,s:s}}", "photo", "blobId",
			      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			      "type", "image/png");
	assert_int_equal(at_model_validate(contact, f, false, &err), 0);
	json_object_set_new(json_object_get(f, "photo"), "type", json_string("image/bmp"));
	assert_int_equal(at_model_validate(contact, f, false, &err), -1);
	assert_string_equal(err.field, "photo.type");
	json_decref(f);
	f = json_pack("{s:{s:s,s:s}}", "photo", "blobId", "sha256:nothex", "type", "image/png");
	assert_int_equal(at_model_validate(contact, f, false, &err), -1);
	assert_string_equal(err.field, "photo.blobId");
	json_decref(f);
	static const char *const types[] = {"contact", "appointment", "task"};
	for (size_t i = 0; i < N_ELEMS(types); i++) {
		const at_item_type *t = at_model_item_type(types[i]);
		json_t *p = json_pack("{s:[{s:s,s:s}]}", "attachments", "blobId",
				      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
				      "name", "a/b.txt");
		assert_int_equal(at_model_validate(t, p, true, &err), -1);
		assert_string_equal(err.field, "attachments[0].name");
		json_object_set_new(json_array_get(json_object_get(p, "attachments"), 0), "name",
				    json_string("b.txt"));
		check(at_model_validate(t, p, true, &err) == 0, "%s: %s", types[i], err.message);
		json_t *list = json_object_get(p, "attachments");
		while (json_array_size(list) <= AT_MAX_ATTACHMENTS)
			json_array_append(list, json_array_get(list, 0));
		assert_int_equal(at_model_validate(t, p, true, &err), -1);
		assert_string_equal(err.code, AT_E_FIELD_TOO_LONG);
		json_decref(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_ids_and_paths),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_sniff_random),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
