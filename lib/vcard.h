/* vcard.h — vCard reader and writer, and the mapping to the contact model.
 *
 * Hand-written because Debian has no usable C vCard library (libical 3 has
 * none; libvformat hands values back still escaped and knows neither 4.0
 * nor RFC 6868).  Reads vCard 4.0 (RFC 6350) and 3.0 (RFC 2426) strictly,
 * and 2.1 as Outlook exports it (QUOTED-PRINTABLE with soft line breaks,
 * CHARSET, bare parameters such as TEL;WORK;VOICE).  Writes 3.0 and 4.0.
 *
 * Reading (at_vcard_parse): line unfolding (CRLF or LF, then one space or
 * tab), groups (item1.EMAIL), parameters with quoted and multiple values
 * (RFC 6868 ^n ^' ^^ decoded), ENCODING=b/BASE64 and data: URIs (bytes and
 * media type kept), KIND:group with MEMBER and the Apple
 * X-ADDRESSBOOKSERVER-KIND/-MEMBER form (mapped to distribution lists by
 * at_vcard_list_to_fields below), several cards per input.  A card
 * that breaks a rule is kept as an error entry ("line 12: parameter without
 * a name", code invalidField or limitExceeded) and parsing goes on with the
 * next card, so an importer can report each bad card and take the rest.
 * Rules kept: BEGIN/END nest correctly (no other BEGIN or END inside a
 * card); VERSION at most once, not in a group, and 2.1, 3.0 or 4.0; FN in
 * 3.0 and 4.0 cards (N or FN in 2.1); names and parameter names are
 * letters, digits and '-'; values are UTF-8 without control characters;
 * base64, quoted-printable and data: URIs are well formed; every limit
 * below.
 * Leniencies, each because real exporters need it: LF without CR, empty
 * lines, a UTF-8 byte order mark, blanks around the VERSION value, VERSION
 * anywhere in the card, a card without VERSION (Evolution's own files: read
 * as 3.0 but needing only N or FN), bare parameters in 3.0, ENCODING=b in
 * 4.0 (and ENCODING=b before a data: URI), unknown backslash escapes
 * (kept literally), non-UTF-8 2.1 text without CHARSET (read as
 * windows-1252, Outlook's default).
 *
 * Mapping (at_vcard_to_fields / at_vcard_from_fields): the contact fields
 * of lib/model.c both ways; vcard.c has the table.  Every property that
 * does not map to a field (PHOTO, UID, REV, a fourth EMAIL, X-...) is kept
 * as one unfolded content line in the field "vcardExtra" (lines joined by
 * CRLF), and the writer emits those lines again, so vCard -> fields ->
 * vCard -> fields gives the same fields.  Kept lines are written as they
 * were read, also into a card of the other version (a 3.0 PHOTO;ENCODING=b
 * in a 4.0 card: this reader takes either form).  Parameters of mapped
 * properties (LANGUAGE, PID, TYPE=work on an EMAIL, ...) are not kept; line
 * breaks in single-line fields (a street of two lines) become ", "; CR LF
 * in notes is written as one line break (\n); an FN equal to the contact's
 * title ("Last, First") is not a displayName (the writer derives it).
 *
 * Writing folds at 75 octets without splitting a UTF-8 sequence, ends
 * lines with CRLF, escapes \\ \n \, \; in text and quotes parameter values
 * (RFC 6868 for " and line breaks).
 *
 * Ownership: everything at_vcard_parse returns lives in the caller's arena
 * and is read-only.  json_t * results are new references owned by the
 * caller; json_t * arguments are borrowed.  Nothing keeps state, so every
 * function may be called from several threads at once. */
#ifndef AT_VCARD_H
#define AT_VCARD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "error.h"
#include "strbuf.h"

/* ---- limits (input over a limit is refused, code limitExceeded) ---------- */

/* Whole input.  An address book of 50,000 realistic cards without photos is
 * about 60 MiB; the parse takes about three times the input in arena
 * memory, which a server worker can afford once. */
#define AT_VCARD_MAX_INPUT (64u * 1024 * 1024)
/* Cards in one input: an organisation-wide address book export (the
 * largest Global Address Books we aim at hold tens of thousands). */
#define AT_VCARD_MAX_CARDS 50000u
/* Properties in one card.  Real cards have 10 to 60; 1,000 leaves room for
 * long lists of MEMBERs and X- properties without letting one card grow
 * without bound. */
#define AT_VCARD_MAX_PROPS 1000u
/* Decoded bytes of one binary value (PHOTO, LOGO, SOUND, KEY).  Address
 * book photos are 2 to 200 KiB; phones export up to ~500 KiB. */
#define AT_VCARD_MAX_BINARY (1024u * 1024)
/* One property after unfolding.  The longest legitimate line is a PHOTO at
 * the binary limit: base64 makes 1 MiB into 1,398,104 characters, plus name
 * and parameters.  Text is far shorter (notes: 65,536 characters, at most
 * 256 KiB of UTF-8, 768 KiB once quoted-printable).  So 1.5 MiB. */
#define AT_VCARD_MAX_LINE (1536u * 1024)
/* Parameters of one property, and values of one parameter: the longest
 * real ones (TYPE=work,voice,pref,msg,...) have fewer than ten. */
#define AT_VCARD_MAX_PARAMS 32u
#define AT_VCARD_MAX_PARAM_VALUES 32u

/* The contact field that keeps the properties the mapping does not know. */
#define AT_VCARD_EXTRA_FIELD "vcardExtra"

typedef enum at_vcard_version {
	AT_VCARD_V21 = 21,
	AT_VCARD_V30 = 30,
	AT_VCARD_V40 = 40,
} at_vcard_version;

typedef enum at_vcard_kind {
	AT_VCARD_INDIVIDUAL = 0,  /* also when KIND is absent */
	AT_VCARD_GROUP,           /* KIND:group, X-ADDRESSBOOKSERVER-KIND:group */
	AT_VCARD_ORG,
	AT_VCARD_LOCATION,
	AT_VCARD_KIND_OTHER,      /* an x-name or iana-token */
} at_vcard_kind;

typedef struct at_vcard_param {
	const char *name;            /* upper case: "TYPE"; bare 2.1 values get
				      * "TYPE", "ENCODING" or "CHARSET" */
	const char *const *values;   /* unquoted, RFC 6868 decoded, UTF-8 */
	size_t n_values;
} at_vcard_param;

typedef struct at_vcard_prop {
	unsigned line;               /* first physical line, 1-based */
	const char *group;           /* "item1", or NULL */
	const char *name;            /* upper case */
	const at_vcard_param *params;
	size_t n_params;
	/* The value as written, escapes kept; quoted-printable and CHARSET
	 * already decoded to UTF-8 (so a 2.1 value may hold line breaks). */
	const char *value;
	/* The whole property as one content line: unfolded as it was for 3.0
	 * and 4.0; for 2.1 (and any line with a bare parameter,
	 * QUOTED-PRINTABLE, CHARSET or ENCODING=BASE64) rewritten in the form
	 * both 3.0 and 4.0 read (decoded value with line breaks as \n,
	 * NAME=VALUE parameters, ENCODING=b).  What the writer emits again. */
	const char *raw;
	/* Binary content (ENCODING=b or a data: URI), else NULL / 0. */
	const unsigned char *bin;
	size_t bin_len;
	const char *bin_type;        /* media type ("image/jpeg"), "" if unknown */
} at_vcard_prop;

typedef struct at_vcard {
	unsigned line, end_line;     /* lines of BEGIN and END */
	/* Set when the card (or a stretch of text outside any card) was
	 * refused; the rest of the struct is then empty. */
	const char *error_code;      /* AT_E_INVALID_FIELD or AT_E_LIMIT */
	const char *error_message;   /* "line 12: ..." */
	at_vcard_version version;
	bool version_missing;        /* no VERSION: read as 3.0 */
	at_vcard_kind kind;
	const at_vcard_prop *props;  /* in order, without BEGIN, END, VERSION */
	size_t n_props;
	/* MEMBER / X-ADDRESSBOOKSERVER-MEMBER values (URIs), unescaped. */
	const char *const *members;
	size_t n_members;
	/* The first PHOTO: bytes and media type when inline, or its URI. */
	const unsigned char *photo;
	size_t photo_len;
	const char *photo_type;
	const char *photo_uri;
} at_vcard;

typedef struct at_vcard_list {
	const at_vcard *cards;       /* in input order, error entries included */
	size_t n_cards;
	size_t n_errors;
} at_vcard_list;

/* Parses every card of data (len bytes, need not be NUL-terminated) into
 * list_r, allocating from a.  Returns -1 with err set only when the input
 * as a whole is refused (over AT_VCARD_MAX_INPUT or AT_VCARD_MAX_CARDS);
 * problems of one card are error entries of the list. */
int at_vcard_parse(const char *data, size_t len, at_arena *a, at_vcard_list *list_r,
		   at_error *err);
/* Exactly one card, without errors; otherwise -1 with err set. */
int at_vcard_parse_one(const char *data, size_t len, at_arena *a, const at_vcard **card_r,
		       at_error *err);
/* Fills err from an error entry (scope item, retry final); returns -1. */
int at_vcard_card_error(const at_vcard *card, at_error *err);

/* The first parameter called name (upper case), or NULL. */
const at_vcard_param *at_vcard_param_get(const at_vcard_prop *prop, const char *name);
/* Whether any parameter called name has value (case-insensitive). */
bool at_vcard_param_has(const at_vcard_prop *prop, const char *name, const char *value);
/* The first property called name (upper case), or NULL. */
const at_vcard_prop *at_vcard_prop_get(const at_vcard *card, const char *name);
/* True for KIND:group and the Apple form: a distribution list. */
bool at_vcard_is_list(const at_vcard *card);

/* Text value with the escapes \\ \, \; \n (and \N) undone; other
 * backslashes are kept.  Allocated from a. */
char *at_vcard_unescape(const char *value, at_arena *a);

/* Maps a card to contact fields (*fields_r, valid for at_model_validate;
 * the unmapped properties are in "vcardExtra").  A distribution list (use
 * at_vcard_list_to_fields), or a value the model refuses (too long, too many categories), is an error
 * naming the property's line and the field (err->field). */
int at_vcard_to_fields(const at_vcard *card, json_t **fields_r, at_error *err);

/* Appends one card (BEGIN to END, CRLF lines) for fields to out.
 * version: AT_VCARD_V30 or AT_VCARD_V40.  uid (may be NULL) is written as
 * UID when vcardExtra has none.  Unknown keys of fields are ignored; a value
 * of the wrong type, or a vcardExtra line that is not one valid property (or
 * is BEGIN, END or VERSION) is an error and nothing is appended. */
int at_vcard_from_fields(json_t *fields, at_vcard_version version, const char *uid,
			 at_buf *out, at_error *err);

/* ---- distribution lists (KIND:group) ------------------------------------ */

/* A list card maps to the fields of the distributionList type (model_list.c):
 * FN displayName, MEMBER (4.0) or X-ADDRESSBOOKSERVER-MEMBER (3.0, Apple's
 * form) members, NOTE notes, CATEGORIES, CLASS / X-PRIVATE private, the
 * rest (UID, REV, X-...) verbatim in vcardExtra as for contacts.  A member
 * "mailto:ADDR" is a plain recipient, its name in the X-CN (or CN)
 * parameter; any other URI ("urn:uuid:...") names a contact: resolve()
 * turns it into the contact's server id (which of its addresses in
 * X-ATRIUM-ADDRESS, email1 when absent).  A member the resolver does not
 * know, or one that is there twice, is kept verbatim in vcardExtra, so
 * nothing is lost and writing it again gives it back.
 *
 * Writing: 4.0 KIND:group and MEMBER lines; 3.0 X-ADDRESSBOOKSERVER-KIND
 * and -MEMBER lines with an N derived from the name (not kept on reading).
 * A member referencing a contact is written "urn:uuid:UID" with the UID
 * uid_of() gives for the contact id (a value that already is a URN is
 * written as it is); when it gives NULL, the member is written as a plain
 * recipient with its last known address, or left out without one. */
typedef const char *at_vcard_member_fn(void *ctx, const char *uri);
typedef const char *at_vcard_uid_fn(void *ctx, const char *contact_id);

/* *fields_r: valid distributionList fields (a new object). */
int at_vcard_list_to_fields(const at_vcard *card, at_vcard_member_fn *resolve, void *ctx,
			    json_t **fields_r, at_error *err);
/* Appends the card of valid distributionList fields to out. */
int at_vcard_list_from_fields(json_t *fields, at_vcard_version version, const char *uid,
			      at_vcard_uid_fn *uid_of, void *ctx, at_buf *out, at_error *err);

#endif
