/* vcard.c — see vcard.h.  Three parts: the reader (logical lines, cards,
 * properties and their decoding), the writer, and the mapping to the
 * contact fields of lib/model.c. */
#include "vcard.h"

#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"

/* ---- character helpers (ASCII only: no locale) ------------------------------- */

static bool is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool name_char(unsigned char c)
{
	return is_alnum(c) || c == '-';
}

static char up(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether s[0..n) equals the NUL-terminated word w, ignoring ASCII case. */
static bool eq_word(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

/* The first control character of s (C0 except tab, and DEL; CR and LF
 * allowed when breaks), or -1. */
static int control_char(const char *s, size_t n, bool breaks)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7F || (c < 0x20 && c != '\t' && !(breaks && (c == '\r' || c == '\n'))))
			return c;
	}
	return -1;
}

/* windows-1252 bytes 0x80..0x9F (0 = unassigned, read as U+FFFD). */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* windows-1252 (and ISO-8859-1, read the same way as browsers do) to UTF-8. */
static char *from_cp1252(at_arena *a, const char *s, size_t n, size_t *len_r)
{
	char *out = at_arena_alloc(a, n * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = c;
		if (c >= 0x80 && c < 0xA0)
			cp = cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xFFFD;
		o += put_utf8(out + o, cp);
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

/* ---- base64 -------------------------------------------------------------------- */

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64, skipping blanks and line breaks; padding may be left out.
 * Returns 0, -1 when malformed, -2 when longer than max bytes. */
static int b64_decode(at_arena *a, const char *s, size_t n, size_t max,
		      unsigned char **out_r, size_t *len_r)
{
	unsigned char *out = at_arena_alloc(a, n / 4 * 3 + 4);
	size_t o = 0, pad = 0, quad = 0;
	uint32_t acc = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = b64_value(c);
		if (v < 0 || pad > 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		if (++quad == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			quad = 0;
			acc = 0;
		}
		if (o > max)
			return -2;
	}
	if (quad == 1 || pad > 2 || (pad > 0 && quad + pad != 4))
		return -1;
	if (quad == 2) {
		out[o++] = (unsigned char)(acc >> 4);
	} else if (quad == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	if (o > max)
		return -2;
	*out_r = out;
	*len_r = o;
	return 0;
}

static void b64_encode(at_buf *out, const unsigned char *s, size_t n)
{
	char q[4];
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8) | s[i + 2];
		q[0] = b64_chars[v >> 18];
		q[1] = b64_chars[(v >> 12) & 63];
		q[2] = b64_chars[(v >> 6) & 63];
		q[3] = b64_chars[v & 63];
		at_buf_append(out, q, 4);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;
		q[0] = b64_chars[v >> 18];
		q[1] = b64_chars[(v >> 12) & 63];
		q[2] = q[3] = '=';
		at_buf_append(out, q, 4);
	} else if (n - i == 2) {
		uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8);
		q[0] = b64_chars[v >> 18];
		q[1] = b64_chars[(v >> 12) & 63];
		q[2] = b64_chars[(v >> 6) & 63];
		q[3] = '=';
		at_buf_append(out, q, 4);
	}
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* ---- the reader ----------------------------------------------------------------- */

typedef struct line_ref {
	size_t off, len;   /* in the card's text buffer */
	unsigned line;     /* first physical line */
	bool too_long;
} line_ref;

typedef struct reader {
	const char *p, *end;
	unsigned line;        /* number of the last physical line read */
	at_buf logical;       /* the logical line being assembled */
	at_arena *a;
	/* the current card's logical lines */
	at_buf text;
	line_ref *lines;
	size_t n_lines, cap_lines;
	/* the current card's properties */
	at_vcard_prop *props;
	size_t n_props, cap_props;
	/* the error of the card being read */
	const char *code;
	char msg[AT_ERROR_MESSAGE_MAX];
} reader;

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q == NULL) {
		fputs("atrium: out of memory\n", stderr);
		abort();
	}
	return q;
}

/* Records the card's first error; returns -1. */
static int fail(reader *r, const char *code, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(reader *r, const char *code, unsigned line, const char *fmt, ...)
{
	if (r->code != NULL)
		return -1;
	int n = snprintf(r->msg, sizeof(r->msg), "line %u: ", line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg + n, sizeof(r->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	r->code = code;
	return -1;
}

/* Next physical line without its line break (CRLF or LF). */
static bool physical(reader *r, const char **s_r, size_t *n_r)
{
	if (r->p >= r->end)
		return false;
	const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	const char *e = nl != NULL ? nl : r->end;
	size_t n = (size_t)(e - r->p);
	*s_r = r->p;
	if (n > 0 && r->p[n - 1] == '\r')
		n--;
	*n_r = n;
	r->p = nl != NULL ? nl + 1 : r->end;
	r->line++;
	return true;
}

static bool encoding_word(const char *s, size_t n)
{
	return eq_word(s, n, "QUOTED-PRINTABLE") || eq_word(s, n, "BASE64") ||
	       eq_word(s, n, "8BIT") || eq_word(s, n, "7BIT") || eq_word(s, n, "B");
}

/* Whether a content line is quoted-printable, by the rule parse_prop
 * applies: the first ENCODING parameter (ENCODING=... or a bare 2.1
 * encoding word) says QUOTED-PRINTABLE. */
static bool says_qp(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] != ';' && s[i] != ':')
		i++;
	while (i < n && s[i] == ';') {
		size_t st = ++i;
		while (i < n && name_char((unsigned char)s[i]))
			i++;
		size_t nl = i - st;
		if (i >= n || s[i] != '=') {
			if (encoding_word(s + st, nl))
				return eq_word(s + st, nl, "QUOTED-PRINTABLE");
			if (i < n && s[i] != ';')
				return false;
			continue;
		}
		bool encoding = eq_word(s + st, nl, "ENCODING");
		for (bool first = true;; first = false) {
			size_t vs = ++i, ve;
			if (i < n && s[i] == '"') {
				vs = ++i;
				while (i < n && s[i] != '"')
					i++;
				ve = i;
				if (i < n)
					i++;
			} else {
				while (i < n && s[i] != ';' && s[i] != ':' && s[i] != ',')
					i++;
				ve = i;
			}
			if (encoding && first)
				return eq_word(s + vs, ve - vs, "QUOTED-PRINTABLE");
			if (i >= n || s[i] != ',')
				break;
		}
	}
	return false;
}

/* Assembles the next logical line in r->logical: unfolds lines that begin
 * with a blank, and joins quoted-printable soft line breaks ("=" at the
 * end).  *line_r: its first physical line.  Returns 1, 0 at the end of the
 * input, -1 when longer than AT_VCARD_MAX_LINE (the whole of it is read). */
static int logical_line(reader *r, unsigned *line_r)
{
	const char *s;
	size_t n;
	if (!physical(r, &s, &n))
		return 0;
	at_buf_truncate(&r->logical, 0);
	r->logical.overflow = false;
	*line_r = r->line;
	bool over = at_buf_append(&r->logical, s, n) < 0;
	for (;;) {
		if (!over && r->p < r->end && r->logical.len > 0 &&
		    r->logical.data[r->logical.len - 1] == '=' &&
		    says_qp(r->logical.data, r->logical.len)) {
			at_buf_truncate(&r->logical, r->logical.len - 1);
			physical(r, &s, &n);
			over = at_buf_append(&r->logical, s, n) < 0;
			continue;
		}
		if (r->p < r->end && blank(*r->p)) {
			physical(r, &s, &n);
			if (!over)
				over = at_buf_append(&r->logical, s + 1, n - 1) < 0;
			continue;
		}
		break;
	}
	return over ? -1 : 1;
}

/* BEGIN:VCARD or END:VCARD (any case, blanks after allowed). */
static bool is_marker(const char *s, size_t n, const char *marker)
{
	while (n > 0 && blank(s[n - 1]))
		n--;
	return eq_word(s, n, marker);
}

/* RFC 6868: ^^ -> ^, ^n -> line break, ^' -> ". */
static char *param_decode(at_arena *a, const char *s, size_t n, bool caret)
{
	char *out = at_arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (caret && s[i] == '^' && i + 1 < n) {
			char c = s[i + 1];
			if (c == '^' || c == 'n' || c == 'N' || c == '\'') {
				out[o++] = c == '^' ? '^' : c == '\'' ? '"' : '\n';
				i++;
				continue;
			}
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

typedef struct prop_ctx {
	at_vcard_version version;  /* V30 when the card has no VERSION */
} prop_ctx;

/* Converts text in charset to UTF-8.  NULL when the charset is unknown or
 * the text is not valid in it. */
static char *charset_to_utf8(at_arena *a, const char *charset, const char *s, size_t n,
			     size_t *len_r)
{
	if (strcasecmp(charset, "UTF-8") == 0 || strcasecmp(charset, "UTF8") == 0) {
		if (!utf8_valid((const unsigned char *)s, n))
			return NULL;
		*len_r = n;
		return at_arena_strndup(a, s, n);
	}
	if (strcasecmp(charset, "WINDOWS-1252") == 0 || strcasecmp(charset, "CP1252") == 0 ||
	    strcasecmp(charset, "ISO-8859-1") == 0 || strcasecmp(charset, "LATIN1") == 0 ||
	    strcasecmp(charset, "ISO8859-1") == 0 || strcasecmp(charset, "US-ASCII") == 0 ||
	    strcasecmp(charset, "ASCII") == 0)
		return from_cp1252(a, s, n, len_r);
	if (strlen(charset) > 40)
		return NULL;
	iconv_t cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return NULL;
	size_t cap = n * 4 + 4;
	char *out = at_arena_alloc(a, cap);
	char *in = (char *)s, *o = out;
	size_t in_left = n, out_left = cap - 1;
	size_t rc = iconv(cd, &in, &in_left, &o, &out_left);
	iconv_close(cd);
	if (rc == (size_t)-1 || in_left != 0)
		return NULL;
	*o = '\0';
	*len_r = (size_t)(o - out);
	if (!utf8_valid((const unsigned char *)out, *len_r))
		return NULL;
	return out;
}

static char *qp_decode(at_arena *a, const char *s, size_t n, size_t *len_r)
{
	char *out = at_arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 == n)
			break;  /* a soft line break at the very end */
		int h = i + 2 < n ? hex_value((unsigned char)s[i + 1]) : -1;
		int l = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;
		if (h < 0 || l < 0)
			return NULL;
		out[o++] = (char)(h * 16 + l);
		i += 2;
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

static bool binary_prop(const char *name)
{
	return strcmp(name, "PHOTO") == 0 || strcmp(name, "LOGO") == 0 ||
	       strcmp(name, "SOUND") == 0 || strcmp(name, "KEY") == 0;
}

/* Appends a parameter value, quoted when it must be (RFC 6868 for " and
 * line breaks). */
static void put_param_value(at_buf *out, const char *v)
{
	bool quote = v[0] == '\0' || strpbrk(v, ";:,\"\n\r^ ") != NULL;
	if (!quote) {
		at_buf_puts(out, v);
		return;
	}
	at_buf_putc(out, '"');
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"')
			at_buf_puts(out, "^'");
		else if (*p == '^')
			at_buf_puts(out, "^^");
		else if (*p == '\n')
			at_buf_puts(out, "^n");
		else if (*p != '\r')
			at_buf_putc(out, *p);
	}
	at_buf_putc(out, '"');
}

/* Escapes line breaks of a decoded 2.1 value as \n. */
static void put_breaks_escaped(at_buf *out, const char *v)
{
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\r') {
			at_buf_puts(out, "\\n");
			if (p[1] == '\n')
				p++;
		} else if (*p == '\n') {
			at_buf_puts(out, "\\n");
		} else {
			at_buf_putc(out, *p);
		}
	}
}

/* The property as one 3.0-style content line: NAME=VALUE parameters,
 * without ENCODING (other than b), CHARSET and those skip names; binary
 * content as ENCODING=b. */
static char *rebuild_raw(at_arena *a, const at_vcard_prop *p, const char *skip)
{
	at_buf out;
	at_buf_init(&out, 0);
	if (p->group != NULL) {
		at_buf_puts(&out, p->group);
		at_buf_putc(&out, '.');
	}
	at_buf_puts(&out, p->name);
	bool b64 = p->bin != NULL && at_vcard_param_get(p, "ENCODING") != NULL;
	bool types_done = false;
	for (size_t i = 0; i < p->n_params; i++) {
		const at_vcard_param *pa = &p->params[i];
		bool type = strcmp(pa->name, "TYPE") == 0;
		if (strcmp(pa->name, "ENCODING") == 0 || strcmp(pa->name, "CHARSET") == 0 ||
		    (skip != NULL && strcmp(pa->name, skip) == 0) || (type && types_done))
			continue;
		at_buf_putc(&out, ';');
		at_buf_puts(&out, pa->name);
		at_buf_putc(&out, '=');
		/* all TYPEs in one: TEL;WORK;VOICE becomes TEL;TYPE=WORK,VOICE */
		size_t n = 0;
		for (size_t j = i; j < p->n_params; j++) {
			const at_vcard_param *pj = &p->params[j];
			if (j != i && (!type || strcmp(pj->name, "TYPE") != 0))
				continue;
			for (size_t k = 0; k < pj->n_values; k++) {
				if (n++ > 0)
					at_buf_putc(&out, ',');
				put_param_value(&out, pj->values[k]);
			}
		}
		types_done |= type;
	}
	if (b64)
		at_buf_puts(&out, ";ENCODING=b");
	at_buf_putc(&out, ':');
	if (b64)
		b64_encode(&out, p->bin, p->bin_len);
	else
		put_breaks_escaped(&out, p->value);
	char *s = at_arena_strndup(a, out.data != NULL ? out.data : "", out.len);
	at_buf_free(&out);
	return s;
}

/* "data:[type][;base64],data" into the property's binary content. */
static int data_uri(reader *r, unsigned line, at_vcard_prop *p, const char *v)
{
	const char *comma = strchr(v, ',');
	if (comma == NULL)
		return fail(r, AT_E_INVALID_FIELD, line, "%s: data: URI without ','", p->name);
	const char *meta = v + 5;
	size_t mlen = (size_t)(comma - meta);
	bool b64 = mlen >= 7 && strncasecmp(comma - 7, ";base64", 7) == 0;
	if (b64)
		mlen -= 7;
	const char *semi = memchr(meta, ';', mlen);
	size_t tlen = semi != NULL ? (size_t)(semi - meta) : mlen;
	p->bin_type = at_arena_strndup(r->a, meta, tlen);
	const char *data = comma + 1;
	size_t n = strlen(data);
	unsigned char *bin;
	size_t len;
	if (b64) {
		int rc = b64_decode(r->a, data, n, AT_VCARD_MAX_BINARY, &bin, &len);
		if (rc == -2)
			return fail(r, AT_E_LIMIT, line, "%s: more than %u bytes", p->name,
				    AT_VCARD_MAX_BINARY);
		if (rc < 0)
			return fail(r, AT_E_INVALID_FIELD, line, "%s: invalid base64 in the data: URI",
				    p->name);
	} else {
		bin = at_arena_alloc(r->a, n + 1);
		len = 0;
		for (size_t i = 0; i < n; i++) {
			if (data[i] == '%') {
				int h = i + 2 < n ? hex_value((unsigned char)data[i + 1]) : -1;
				int l = i + 2 < n ? hex_value((unsigned char)data[i + 2]) : -1;
				if (h < 0 || l < 0)
					return fail(r, AT_E_INVALID_FIELD, line,
						    "%s: invalid %%-escape in the data: URI", p->name);
				bin[len++] = (unsigned char)(h * 16 + l);
				i += 2;
			} else {
				bin[len++] = (unsigned char)data[i];
			}
		}
		if (len > AT_VCARD_MAX_BINARY)
			return fail(r, AT_E_LIMIT, line, "%s: more than %u bytes", p->name,
				    AT_VCARD_MAX_BINARY);
	}
	p->bin = bin;
	p->bin_len = len;
	return 0;
}

/* Makes a parameter value UTF-8 (2.1: from windows-1252 when it is not). */
static const char *param_text(reader *r, const prop_ctx *c, unsigned line,
			      const char *name, const char *s, size_t n)
{
	size_t len;
	if (!utf8_valid((const unsigned char *)s, n)) {
		if (c->version != AT_VCARD_V21) {
			fail(r, AT_E_INVALID_FIELD, line, "%s: a parameter value is not valid UTF-8",
			     name);
			return NULL;
		}
		const char *u = from_cp1252(r->a, s, n, &len);
		s = u;
		n = len;
	}
	/* checked on the bytes as written (a NUL would hide the rest from a
	 * string function); a decoded ^n is a line break */
	int cc = control_char(s, n, false);
	char *v = param_decode(r->a, s, n, c->version != AT_VCARD_V21);
	if (cc >= 0) {
		fail(r, AT_E_INVALID_FIELD, line,
		     "%s: control character U+%04X in a parameter value", name, (unsigned)cc);
		return NULL;
	}
	return v;
}

/* Parses one logical line (s, n) of a card into *p. */
static int parse_prop(reader *r, const prop_ctx *c, const char *s, size_t n, unsigned line,
		      at_vcard_prop *p)
{
	at_vcard_param params[AT_VCARD_MAX_PARAMS];
	const char *vals[AT_VCARD_MAX_PARAM_VALUES];
	size_t np = 0, i = 0, st;
	bool bare = false;

	memset(p, 0, sizeof(*p));
	p->line = line;
	/* [group "."] name */
	st = i;
	while (i < n && name_char((unsigned char)s[i]))
		i++;
	if (i < n && s[i] == '.' && i > st) {
		p->group = at_arena_strndup(r->a, s + st, i - st);
		st = ++i;
		while (i < n && name_char((unsigned char)s[i]))
			i++;
	}
	if (i == st)
		return fail(r, AT_E_INVALID_FIELD, line, i < n && (s[i] == ':' || s[i] == ';')
			    ? "property without a name" : "invalid property name");
	char *name = at_arena_strndup(r->a, s + st, i - st);
	for (char *q = name; *q != '\0'; q++)
		*q = up(*q);
	p->name = name;
	if (i >= n)
		return fail(r, AT_E_INVALID_FIELD, line, "%s without ':' and a value", name);
	if (s[i] != ';' && s[i] != ':')
		return fail(r, AT_E_INVALID_FIELD, line, "invalid character in the property name %s",
			    name);
	/* parameters */
	while (i < n && s[i] == ';') {
		st = ++i;
		while (i < n && name_char((unsigned char)s[i]))
			i++;
		size_t nl = i - st;
		if (i < n && s[i] == '=') {
			if (nl == 0)
				return fail(r, AT_E_INVALID_FIELD, line,
					    "%s: parameter without a name", name);
		} else if (nl == 0) {
			return fail(r, AT_E_INVALID_FIELD, line, i < n && (s[i] == ';' || s[i] == ':')
				    ? "%s: empty parameter" : "%s: invalid parameter name", name);
		} else if (i < n && s[i] != ';' && s[i] != ':') {
			return fail(r, AT_E_INVALID_FIELD, line, "%s: invalid parameter name", name);
		}
		if (np == AT_VCARD_MAX_PARAMS)
			return fail(r, AT_E_LIMIT, line, "%s: more than %u parameters", name,
				    AT_VCARD_MAX_PARAMS);
		char *pname = at_arena_strndup(r->a, s + st, nl);
		for (char *q = pname; *q != '\0'; q++)
			*q = up(*q);
		at_vcard_param *pa = &params[np++];
		size_t nv = 0;
		if (i >= n || s[i] != '=') {
			/* a bare parameter: TEL;WORK;VOICE, NOTE;QUOTED-PRINTABLE */
			if (c->version == AT_VCARD_V40)
				return fail(r, AT_E_INVALID_FIELD, line,
					    "%s: parameter %s without a value", name, pname);
			vals[nv++] = pname;
			bare = true;
			if (encoding_word(pname, nl))
				pa->name = "ENCODING";
			else
				pa->name = "TYPE";
		} else {
			pa->name = pname;
			i++;  /* '=' */
			for (;;) {
				const char *v;
				size_t vl;
				if (i < n && s[i] == '"') {
					v = s + ++i;
					while (i < n && s[i] != '"')
						i++;
					if (i >= n)
						return fail(r, AT_E_INVALID_FIELD, line,
							    "%s: parameter %s: quote not closed", name,
							    pname);
					vl = (size_t)(s + i - v);
					i++;
				} else {
					v = s + i;
					while (i < n && s[i] != ';' && s[i] != ':' && s[i] != ',' &&
					       s[i] != '"')
						i++;
					if (i < n && s[i] == '"')
						return fail(r, AT_E_INVALID_FIELD, line,
							    "%s: parameter %s: '\"' inside a value", name,
							    pname);
					vl = (size_t)(s + i - v);
				}
				if (nv == AT_VCARD_MAX_PARAM_VALUES)
					return fail(r, AT_E_LIMIT, line,
						    "%s: parameter %s has more than %u values", name,
						    pname, AT_VCARD_MAX_PARAM_VALUES);
				const char *t = param_text(r, c, line, name, v, vl);
				if (t == NULL)
					return -1;
				vals[nv++] = t;
				if (i < n && s[i] == ',') {
					i++;
					continue;
				}
				break;
			}
			/* TYPE="work,voice" (RFC 6350's own examples) is two types */
			if (strcmp(pname, "TYPE") == 0) {
				size_t k0 = nv;
				for (size_t k = 0; k < k0; k++) {
					char *comma = strchr(vals[k], ',');
					while (comma != NULL) {
						if (nv == AT_VCARD_MAX_PARAM_VALUES)
							return fail(r, AT_E_LIMIT, line,
								    "%s: parameter TYPE has more than %u values",
								    name, AT_VCARD_MAX_PARAM_VALUES);
						*comma = '\0';
						vals[nv++] = comma + 1;
						comma = strchr(comma + 1, ',');
					}
				}
			}
		}
		const char **copy = at_arena_alloc(r->a, nv * sizeof(*copy));
		memcpy(copy, vals, nv * sizeof(*copy));
		pa->values = copy;
		pa->n_values = nv;
	}
	if (i >= n || s[i] != ':')
		return fail(r, AT_E_INVALID_FIELD, line, "%s: ':' expected after the parameters",
			    name);
	i++;
	if (np > 0) {
		at_vcard_param *copy = at_arena_alloc(r->a, np * sizeof(*copy));
		memcpy(copy, params, np * sizeof(*copy));
		p->params = copy;
		p->n_params = np;
	}

	/* the value: encoding, charset, UTF-8, control characters */
	const char *v = s + i;
	size_t vl = n - i;
	bool qp = false, b64 = false, rebuild = c->version == AT_VCARD_V21 || bare;
	const at_vcard_param *enc = at_vcard_param_get(p, "ENCODING");
	if (enc != NULL) {
		const char *e = enc->n_values > 0 ? enc->values[0] : "";
		if (strcasecmp(e, "QUOTED-PRINTABLE") == 0) {
			qp = rebuild = true;
		} else if (strcasecmp(e, "B") == 0 || strcasecmp(e, "BASE64") == 0) {
			b64 = true;
			if (strcmp(e, "b") != 0)
				rebuild = true;
		} else if (strcasecmp(e, "8BIT") != 0 && strcasecmp(e, "7BIT") != 0) {
			return fail(r, AT_E_INVALID_FIELD, line, "%s: unknown ENCODING \"%s\"", name,
				    e);
		}
	}
	char *dec;
	size_t dl;
	if (qp) {
		dec = qp_decode(r->a, v, vl, &dl);
		if (dec == NULL)
			return fail(r, AT_E_INVALID_FIELD, line, "%s: invalid quoted-printable",
				    name);
		v = dec;
		vl = dl;
	}
	const at_vcard_param *cs = at_vcard_param_get(p, "CHARSET");
	bool breaks = qp;
	if (cs != NULL && cs->n_values > 0 && !b64) {
		rebuild = true;
		dec = charset_to_utf8(r->a, cs->values[0], v, vl, &dl);
		if (dec == NULL)
			return fail(r, AT_E_INVALID_FIELD, line,
				    "%s: the value is not valid %s text (or the charset is unknown)",
				    name, cs->values[0]);
	} else if (!utf8_valid((const unsigned char *)v, vl)) {
		if (c->version != AT_VCARD_V21)
			return fail(r, AT_E_INVALID_FIELD, line, "%s: the value is not valid UTF-8",
				    name);
		rebuild = true;
		dec = from_cp1252(r->a, v, vl, &dl);
	} else {
		dec = at_arena_strndup(r->a, v, vl);
		dl = vl;
	}
	int cc = control_char(dec, dl, breaks);
	if (cc >= 0)
		return fail(r, AT_E_INVALID_FIELD, line, "%s: control character U+%04X in the value",
			    name, (unsigned)cc);
	p->value = dec;
	/* ENCODING=b with a data: URI (seen in the wild): the URI wins */
	if (b64 && binary_prop(name) && strncasecmp(dec, "data:", 5) == 0)
		b64 = false;
	if (b64) {
		unsigned char *bin;
		size_t len;
		int rc = b64_decode(r->a, dec, dl, AT_VCARD_MAX_BINARY, &bin, &len);
		if (rc == -2)
			return fail(r, AT_E_LIMIT, line, "%s: more than %u bytes", name,
				    AT_VCARD_MAX_BINARY);
		if (rc < 0)
			return fail(r, AT_E_INVALID_FIELD, line, "%s: invalid base64", name);
		p->bin = bin;
		p->bin_len = len;
		p->bin_type = "";
		const at_vcard_param *t = at_vcard_param_get(p, "TYPE");
		if (t != NULL && t->n_values > 0)
			p->bin_type = t->values[0];
		const at_vcard_param *mt = at_vcard_param_get(p, "MEDIATYPE");
		if (mt != NULL && mt->n_values > 0)
			p->bin_type = mt->values[0];
	} else if (binary_prop(name) && strncasecmp(dec, "data:", 5) == 0) {
		char *u = at_vcard_unescape(dec, r->a);
		if (data_uri(r, line, p, u) < 0)
			return -1;
	}
	p->raw = rebuild ? rebuild_raw(r->a, p, NULL) : at_arena_strndup(r->a, s, n);
	return 0;
}

/* ---- cards ------------------------------------------------------------------------ */

/* A VERSION line (no group): its value without blanks around it. */
static bool version_line(const char *s, size_t n, const char **v_r, size_t *vl_r)
{
	if (n < 8 || strncasecmp(s, "VERSION", 7) != 0 || (s[7] != ':' && s[7] != ';'))
		return false;
	const char *colon = memchr(s, ':', n);
	if (colon == NULL)
		return false;
	const char *v = colon + 1;
	size_t vl = n - (size_t)(v - s);
	while (vl > 0 && blank(*v)) {
		v++;
		vl--;
	}
	while (vl > 0 && blank(v[vl - 1]))
		vl--;
	*v_r = v;
	*vl_r = vl;
	return true;
}

static at_vcard_kind kind_of(const char *v)
{
	if (strcasecmp(v, "individual") == 0)
		return AT_VCARD_INDIVIDUAL;
	if (strcasecmp(v, "group") == 0)
		return AT_VCARD_GROUP;
	if (strcasecmp(v, "org") == 0)
		return AT_VCARD_ORG;
	if (strcasecmp(v, "location") == 0)
		return AT_VCARD_LOCATION;
	return AT_VCARD_KIND_OTHER;
}

/* Parses the logical lines gathered for one card into *card. */
static void finish_card(reader *r, unsigned begin, unsigned end, at_vcard *card)
{
	prop_ctx c = {AT_VCARD_V30};
	bool missing = true;
	const char *v;
	size_t vl;

	memset(card, 0, sizeof(*card));
	card->line = begin;
	card->end_line = end;
	r->code = NULL;
	r->n_props = 0;
	for (size_t i = 0; i < r->n_lines && r->code == NULL; i++) {
		const line_ref *l = &r->lines[i];
		if (l->too_long || !version_line(r->text.data + l->off, l->len, &v, &vl))
			continue;
		if (!missing)
			fail(r, AT_E_INVALID_FIELD, l->line, "VERSION given twice");
		else if (eq_word(v, vl, "4.0"))
			c.version = AT_VCARD_V40;
		else if (eq_word(v, vl, "3.0"))
			c.version = AT_VCARD_V30;
		else if (eq_word(v, vl, "2.1"))
			c.version = AT_VCARD_V21;
		else
			fail(r, AT_E_INVALID_FIELD, l->line,
			     "unsupported vCard version (2.1, 3.0 and 4.0 are read)");
		missing = false;
	}
	for (size_t i = 0; i < r->n_lines && r->code == NULL; i++) {
		const line_ref *l = &r->lines[i];
		const char *s = r->text.data + l->off;
		if (l->too_long) {
			fail(r, AT_E_LIMIT, l->line, "line longer than %u bytes once unfolded",
			     AT_VCARD_MAX_LINE);
			break;
		}
		if (version_line(s, l->len, &v, &vl))
			continue;
		if (r->n_props == AT_VCARD_MAX_PROPS) {
			fail(r, AT_E_LIMIT, l->line, "more than %u properties in one card",
			     AT_VCARD_MAX_PROPS);
			break;
		}
		if (r->n_props == r->cap_props) {
			r->cap_props = r->cap_props ? r->cap_props * 2 : 64;
			r->props = xrealloc(r->props, r->cap_props * sizeof(*r->props));
		}
		if (parse_prop(r, &c, s, l->len, l->line, &r->props[r->n_props]) < 0)
			break;
		const char *name = r->props[r->n_props].name;
		if (strcmp(name, "BEGIN") == 0 || strcmp(name, "END") == 0) {
			fail(r, AT_E_INVALID_FIELD, l->line,
			     "%s inside a card that is not %s:VCARD", name, name);
			break;
		}
		if (strcmp(name, "VERSION") == 0) {
			fail(r, AT_E_INVALID_FIELD, l->line, "VERSION in a group");
			break;
		}
		r->n_props++;
	}
	if (r->code == NULL) {
		card->version = c.version;
		card->version_missing = missing;
		card->props = at_arena_alloc(r->a, r->n_props * sizeof(*card->props) + 1);
		if (r->n_props > 0)
			memcpy((void *)card->props, r->props, r->n_props * sizeof(*card->props));
		card->n_props = r->n_props;
		bool fn = false, n = false;
		size_t members = 0;
		for (size_t i = 0; i < card->n_props; i++) {
			const char *name = card->props[i].name;
			fn |= strcmp(name, "FN") == 0;
			n |= strcmp(name, "N") == 0;
			members += strcmp(name, "MEMBER") == 0 ||
				   strcmp(name, "X-ADDRESSBOOKSERVER-MEMBER") == 0;
		}
		if (!missing && c.version != AT_VCARD_V21 && !fn)
			fail(r, AT_E_INVALID_FIELD, begin, "the card has no FN (required in vCard %s)",
			     c.version == AT_VCARD_V40 ? "4.0" : "3.0");
		else if (!fn && !n)
			fail(r, AT_E_INVALID_FIELD, begin, "the card has neither N nor FN");
		const char **mv = at_arena_alloc(r->a, members * sizeof(*mv) + 1);
		for (size_t i = 0; i < card->n_props; i++) {
			const at_vcard_prop *p = &card->props[i];
			if (strcmp(p->name, "KIND") == 0 &&
			    (card->kind == AT_VCARD_INDIVIDUAL || card->kind == AT_VCARD_KIND_OTHER))
				card->kind = kind_of(at_vcard_unescape(p->value, r->a));
			else if (strcmp(p->name, "X-ADDRESSBOOKSERVER-KIND") == 0 &&
				 strcasecmp(p->value, "group") == 0)
				card->kind = AT_VCARD_GROUP;
			else if (strcmp(p->name, "MEMBER") == 0 ||
				 strcmp(p->name, "X-ADDRESSBOOKSERVER-MEMBER") == 0)
				mv[card->n_members++] = at_vcard_unescape(p->value, r->a);
			else if (strcmp(p->name, "PHOTO") == 0 && card->photo == NULL &&
				 card->photo_uri == NULL) {
				if (p->bin != NULL) {
					card->photo = p->bin;
					card->photo_len = p->bin_len;
					card->photo_type = p->bin_type;
				} else {
					card->photo_uri = at_vcard_unescape(p->value, r->a);
				}
			}
		}
		card->members = mv;
	}
	if (r->code != NULL) {
		at_vcard empty = {.line = begin, .end_line = end};
		*card = empty;
		card->error_code = r->code;
		card->error_message = at_arena_strdup(r->a, r->msg);
	}
}

typedef struct card_vec {
	at_vcard *v;
	size_t n, cap, errors;
} card_vec;

static at_vcard *new_card(card_vec *cv)
{
	if (cv->n == cv->cap) {
		cv->cap = cv->cap ? cv->cap * 2 : 16;
		cv->v = xrealloc(cv->v, cv->cap * sizeof(*cv->v));
	}
	memset(&cv->v[cv->n], 0, sizeof(cv->v[0]));
	return &cv->v[cv->n++];
}

static void error_entry(reader *r, card_vec *cv, unsigned line, unsigned end, const char *fmt,
			...) __attribute__((format(printf, 5, 6)));
static void error_entry(reader *r, card_vec *cv, unsigned line, unsigned end, const char *fmt,
			...)
{
	char msg[AT_ERROR_MESSAGE_MAX];
	int n = snprintf(msg, sizeof(msg), "line %u: ", line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	at_vcard *card = new_card(cv);
	card->line = line;
	card->end_line = end;
	card->error_code = AT_E_INVALID_FIELD;
	card->error_message = at_arena_strdup(r->a, msg);
	cv->errors++;
}

static void add_line(reader *r, bool too_long, unsigned line)
{
	if (r->n_lines == r->cap_lines) {
		r->cap_lines = r->cap_lines ? r->cap_lines * 2 : 64;
		r->lines = xrealloc(r->lines, r->cap_lines * sizeof(*r->lines));
	}
	line_ref *l = &r->lines[r->n_lines++];
	l->off = r->text.len;
	l->len = too_long ? 0 : r->logical.len;
	l->line = line;
	l->too_long = too_long;
	if (!too_long)
		at_buf_append(&r->text, r->logical.data, r->logical.len);
	at_buf_putc(&r->text, '\0');
}

int at_vcard_parse(const char *data, size_t len, at_arena *a, at_vcard_list *list_r,
		   at_error *err)
{
	reader r;
	card_vec cv = {0};
	bool in = false, junk = false;
	unsigned begin = 0, ln = 0;
	int rc, ret = -1;

	memset(list_r, 0, sizeof(*list_r));
	if (len > AT_VCARD_MAX_INPUT)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "the vCard input has %zu bytes, the limit is %u", len,
				    AT_VCARD_MAX_INPUT);
	memset(&r, 0, sizeof(r));
	r.p = data;
	r.end = data + len;
	r.a = a;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r.p += 3;
	at_buf_init(&r.logical, AT_VCARD_MAX_LINE);
	at_buf_init(&r.text, 0);
	while ((rc = logical_line(&r, &ln)) != 0) {
		const char *s = r.logical.data != NULL ? r.logical.data : "";
		size_t n = r.logical.len;
		if (rc > 0 && n == 0)
			continue;
		if (cv.n >= AT_VCARD_MAX_CARDS) {
			at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				     "line %u: more than %u cards in one input", ln,
				     AT_VCARD_MAX_CARDS);
			goto done;
		}
		bool begin_marker = rc > 0 && is_marker(s, n, "BEGIN:VCARD");
		if (!in) {
			if (begin_marker) {
				in = true;
				junk = false;
				begin = ln;
				r.n_lines = 0;
				at_buf_truncate(&r.text, 0);
			} else if (!junk) {
				error_entry(&r, &cv, ln, ln,
					    "text outside a card (BEGIN:VCARD expected)");
				junk = true;
			} else {
				cv.v[cv.n - 1].end_line = ln;
			}
			continue;
		}
		if (rc > 0 && is_marker(s, n, "END:VCARD")) {
			at_vcard *card = new_card(&cv);
			finish_card(&r, begin, r.line, card);
			if (card->error_code != NULL)
				cv.errors++;
			in = false;
			continue;
		}
		if (begin_marker) {
			error_entry(&r, &cv, begin, ln - 1,
				    "END:VCARD missing before the BEGIN:VCARD of line %u", ln);
			begin = ln;
			r.n_lines = 0;
			at_buf_truncate(&r.text, 0);
			continue;
		}
		add_line(&r, rc < 0, ln);
	}
	if (in) {
		if (cv.n >= AT_VCARD_MAX_CARDS) {
			at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				     "line %u: more than %u cards in one input", begin,
				     AT_VCARD_MAX_CARDS);
			goto done;
		}
		error_entry(&r, &cv, begin, r.line, "the card has no END:VCARD");
	}
	at_vcard *cards = at_arena_alloc(a, cv.n * sizeof(*cards) + 1);
	if (cv.n > 0)
		memcpy(cards, cv.v, cv.n * sizeof(*cards));
	list_r->cards = cards;
	list_r->n_cards = cv.n;
	list_r->n_errors = cv.errors;
	ret = 0;
done:
	free(cv.v);
	free(r.lines);
	free(r.props);
	at_buf_free(&r.logical);
	at_buf_free(&r.text);
	return ret;
}

int at_vcard_card_error(const at_vcard *card, at_error *err)
{
	return at_error_set(err, card->error_code, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL, "%s",
			    card->error_message);
}

int at_vcard_parse_one(const char *data, size_t len, at_arena *a, const at_vcard **card_r,
		       at_error *err)
{
	at_vcard_list list;
	*card_r = NULL;
	if (at_vcard_parse(data, len, a, &list, err) < 0)
		return -1;
	if (list.n_cards == 0)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "no vCard in the input (BEGIN:VCARD expected)");
	for (size_t i = 0; i < list.n_cards; i++)
		if (list.cards[i].error_code != NULL)
			return at_vcard_card_error(&list.cards[i], err);
	if (list.n_cards > 1)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "line %u: a second card where one was expected",
				    list.cards[1].line);
	*card_r = &list.cards[0];
	return 0;
}

const at_vcard_param *at_vcard_param_get(const at_vcard_prop *prop, const char *name)
{
	for (size_t i = 0; i < prop->n_params; i++)
		if (strcmp(prop->params[i].name, name) == 0)
			return &prop->params[i];
	return NULL;
}

bool at_vcard_param_has(const at_vcard_prop *prop, const char *name, const char *value)
{
	for (size_t i = 0; i < prop->n_params; i++) {
		if (strcmp(prop->params[i].name, name) != 0)
			continue;
		for (size_t k = 0; k < prop->params[i].n_values; k++)
			if (strcasecmp(prop->params[i].values[k], value) == 0)
				return true;
	}
	return false;
}

const at_vcard_prop *at_vcard_prop_get(const at_vcard *card, const char *name)
{
	for (size_t i = 0; i < card->n_props; i++)
		if (strcmp(card->props[i].name, name) == 0)
			return &card->props[i];
	return NULL;
}

bool at_vcard_is_list(const at_vcard *card)
{
	return card->kind == AT_VCARD_GROUP;
}

char *at_vcard_unescape(const char *value, at_arena *a)
{
	size_t n = strlen(value);
	char *out = at_arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (value[i] == '\\' && i + 1 < n) {
			char c = value[i + 1];
			if (c == '\\' || c == ',' || c == ';') {
				out[o++] = c;
				i++;
				continue;
			}
			if (c == 'n' || c == 'N') {
				out[o++] = '\n';
				i++;
				continue;
			}
		}
		out[o++] = value[i];
	}
	out[o] = '\0';
	return out;
}

/* ---- the mapping table ---------------------------------------------------------- *
 *
 *   N                 lastName;firstName;middleName;title;suffix
 *   FN                displayName (left out when it is what the writer derives
 *                     from the other fields: "Last, First", else the company or
 *                     e-mail, as the item title; see derived_fn)
 *   NICKNAME          nickname          TITLE      jobTitle
 *   ORG               company;department (further units stay in department)
 *   ROLE              profession        X-OFFICE   office
 *   X-MANAGER         managerName       (read: X-MS-, X-EVOLUTION-MANAGER)
 *   X-ASSISTANT       assistantName     (read: X-MS-, X-EVOLUTION-ASSISTANT)
 *   X-SPOUSE (3.0), RELATED;TYPE=spouse;VALUE=text (4.0)  spouseName
 *                     (read: X-MS-, X-EVOLUTION-SPOUSE, either form)
 *   BDAY              birthday (3.0 1996-04-15, 4.0 19960415; a date-time
 *                     gives its date; no year, or text: kept in vcardExtra)
 *   X-ANNIVERSARY (3.0), ANNIVERSARY (4.0)  anniversary (read: X-MS-,
 *                     X-EVOLUTION-ANNIVERSARY, either form)
 *   TEL               the 19 phone fields through phone_kinds[] below
 *   ADR               TYPE=work business..., TYPE=home home..., any other
 *                     other... (written without TYPE); of pobox;ext;street;
 *                     city;state;code;country, pobox and ext are appended to
 *                     the street after ", "
 *   EMAIL             email1..3 in PREF order (4.0 PREF=n, 3.0/2.1 TYPE=pref);
 *                     email1Name..3 as the parameter X-CN (the name of
 *                     iCalendar's parameter for the display name of an
 *                     address: no vCard convention exists).  A fourth EMAIL
 *                     is kept without its PREF, so it stays the fourth.  The
 *                     slots close up: a lone email2 comes back as email1.
 *   URL               webPage
 *   IMPP              imAddress when it has a URI scheme (xmpp:...), else
 *                     X-MS-IMADDRESS (Outlook's form); read also X-AIM,
 *                     X-JABBER, X-ICQ, X-MSN, X-YAHOO, X-SKYPE, X-GOOGLE-TALK,
 *                     X-GADUGADU, X-GROUPWISE as scheme:value
 *   NOTE              notes             CATEGORIES categories (all of them)
 *   CLASS (3.0), X-PRIVATE (4.0)       private (CLASS:PUBLIC/PRIVATE,
 *                     X-PRIVATE:TRUE/FALSE; read either; CONFIDENTIAL kept)
 *   anything else     vcardExtra, verbatim (UID, PHOTO, REV, X-..., a second
 *                     NOTE, a TEL whose kind is already set, ...)
 *
 * Each field is taken from the first property that maps to it; later ones
 * are kept in vcardExtra.  The writer puts every mapped property before the
 * kept lines, so reading its output again maps the same properties. */

/* TYPE values that decide a TEL's (or ADR's, or RELATED's) meaning, with
 * the other programs' names for the same thing. */
enum {
	T_WORK = 1 << 0, T_HOME = 1 << 1, T_FAX = 1 << 2, T_CELL = 1 << 3,
	T_PAGER = 1 << 4, T_PREF = 1 << 5, T_SPOUSE = 1 << 6, T_BUSINESS2 = 1 << 7,
	T_HOME2 = 1 << 8, T_ASSISTANT = 1 << 9, T_CALLBACK = 1 << 10, T_COMPANY = 1 << 11,
	T_RADIO = 1 << 12, T_TELEX = 1 << 13, T_TTYTDD = 1 << 14, T_ISDN = 1 << 15,
	T_CAR = 1 << 16,
};

static const struct {
	const char *type;
	unsigned bit;
} type_bits[] = {
	{"work", T_WORK}, {"home", T_HOME}, {"fax", T_FAX}, {"cell", T_CELL},
	{"mobile", T_CELL}, {"iphone", T_CELL}, {"pager", T_PAGER}, {"pref", T_PREF},
	{"x-primary", T_PREF}, {"spouse", T_SPOUSE}, {"x-business2", T_BUSINESS2},
	{"x-home2", T_HOME2}, {"x-assistant", T_ASSISTANT},
	{"x-evolution-assistant", T_ASSISTANT}, {"x-callback", T_CALLBACK},
	{"x-evolution-callback", T_CALLBACK}, {"x-company", T_COMPANY},
	{"x-evolution-company", T_COMPANY}, {"main", T_COMPANY}, {"x-radio", T_RADIO},
	{"x-evolution-radio", T_RADIO}, {"x-telex", T_TELEX}, {"x-evolution-telex", T_TELEX},
	{"x-ttytdd", T_TTYTDD}, {"x-evolution-ttytdd", T_TTYTDD}, {"textphone", T_TTYTDD},
	{"x-isdn", T_ISDN}, {"isdn", T_ISDN}, {"x-car", T_CAR}, {"car", T_CAR},
};

/* The 19 phone kinds both ways.  Writing: the TYPE of each version (and
 * PREF=1 for the primary phone in 4.0).  Reading: a TEL with one of the
 * key types is that kind (the first in this order); the others are decided
 * by work/home/fax/pref in map_tel (a second work or home phone is the
 * "2" kind).  Kinds without a standard type use x- types, read back
 * exactly; Evolution's X-EVOLUTION-* types and Apple's "main" and "iphone"
 * read as ours (type_bits). */
typedef struct phone_kind {
	const char *field;
	const char *type30;   /* TYPE written in 3.0 */
	const char *type40;   /* TYPE written in 4.0 */
	bool pref40;          /* and PREF=1 in 4.0 */
	unsigned key;         /* T_ bit that makes a TEL this kind, 0: map_tel */
} phone_kind;

static const phone_kind phone_kinds[] = {
	{"phoneBusiness", "work,voice", "work,voice", false, 0},
	{"phoneBusiness2", "work,voice,x-business2", "work,voice,x-business2", false, T_BUSINESS2},
	{"phoneBusinessFax", "work,fax", "work,fax", false, 0},
	{"phoneMobile", "cell", "cell", false, T_CELL},
	{"phoneHome", "home,voice", "home,voice", false, 0},
	{"phoneHome2", "home,voice,x-home2", "home,voice,x-home2", false, T_HOME2},
	{"phoneHomeFax", "home,fax", "home,fax", false, 0},
	{"phoneCar", "car,voice", "voice,x-car", false, T_CAR},
	{"phoneCompany", "work,voice,x-company", "work,voice,x-company", false, T_COMPANY},
	{"phoneOther", "voice", "voice", false, 0},
	{"phoneOtherFax", "fax", "fax", false, 0},
	{"phonePager", "pager", "pager", false, T_PAGER},
	{"phoneTelex", "x-telex", "x-telex", false, T_TELEX},
	{"phoneTtyTdd", "x-ttytdd", "textphone", false, T_TTYTDD},
	{"phoneAssistant", "voice,x-assistant", "voice,x-assistant", false, T_ASSISTANT},
	{"phoneCallback", "voice,x-callback", "voice,x-callback", false, T_CALLBACK},
	{"phoneIsdn", "isdn", "x-isdn", false, T_ISDN},
	{"phonePrimary", "pref,voice", "voice", true, 0},
	{"phoneRadio", "voice,x-radio", "voice,x-radio", false, T_RADIO},
};

static const char *const manager_props[] = {"X-MANAGER", "X-MS-MANAGER",
					    "X-EVOLUTION-MANAGER", NULL};
static const char *const assistant_props[] = {"X-ASSISTANT", "X-MS-ASSISTANT",
					      "X-EVOLUTION-ASSISTANT", NULL};
static const char *const spouse_props[] = {"X-SPOUSE", "X-MS-SPOUSE", "X-EVOLUTION-SPOUSE",
					   NULL};
static const char *const anniversary_props[] = {"ANNIVERSARY", "X-ANNIVERSARY",
						"X-MS-ANNIVERSARY",
						"X-EVOLUTION-ANNIVERSARY", NULL};
static const struct {
	const char *prop, *scheme;
} im_props[] = {
	{"X-AIM", "aim"},      {"X-JABBER", "xmpp"},        {"X-ICQ", "icq"},
	{"X-MSN", "msnim"},    {"X-YAHOO", "ymsgr"},        {"X-SKYPE", "skype"},
	{"X-GOOGLE-TALK", "xmpp"}, {"X-GADUGADU", "gg"},    {"X-GROUPWISE", "groupwise"},
};

static bool in_list(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

/* "YYYY-MM-DD" that is a real day. */
static bool valid_ymd(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
			return false;
	if (s[10] != '\0')
		return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

/* A URI scheme and ':' at the start ("xmpp:"). */
static bool has_scheme(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (s++; *s != '\0' && *s != ':'; s++)
		if (!is_alnum((unsigned char)*s) && *s != '+' && *s != '-' && *s != '.')
			return false;
	return *s == ':';
}

/* The FN the writer gives a contact without displayName: its title as
 * at_model_item_title makes it ("Last, First", else either, else company,
 * else e-mail), "" when it has none of those. */
static const char *derived_fn(json_t *fields, at_arena *a)
{
	const char *first = NULL, *last = NULL, *company = NULL, *email = NULL;
	json_t *v;
	if (json_is_string(v = json_object_get(fields, "firstName")) && json_string_length(v))
		first = json_string_value(v);
	if (json_is_string(v = json_object_get(fields, "lastName")) && json_string_length(v))
		last = json_string_value(v);
	if (json_is_string(v = json_object_get(fields, "company")) && json_string_length(v))
		company = json_string_value(v);
	if (json_is_string(v = json_object_get(fields, "email1")) && json_string_length(v))
		email = json_string_value(v);
	if (last != NULL && first != NULL)
		return at_arena_printf(a, "%s, %s", last, first);
	if (last != NULL || first != NULL)
		return last != NULL ? last : first;
	if (company != NULL)
		return company;
	return email != NULL ? email : "";
}

/* ---- the writer ------------------------------------------------------------------ */

/* Appends a content line folded at 75 octets (continuations start with a
 * space, which counts), never inside a UTF-8 sequence, CRLF after each. */
static void put_folded(at_buf *out, const char *s, size_t n)
{
	size_t pos = 0, width = 75;
	while (n - pos > width) {
		size_t cut = pos + width;
		while (cut > pos && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		at_buf_append(out, s + pos, cut - pos);
		at_buf_puts(out, "\r\n ");
		pos = cut;
		width = 74;
	}
	at_buf_append(out, s + pos, n - pos);
	at_buf_puts(out, "\r\n");
}

/* Text with \\ \n \, \; escaped (a CR LF pair is one line break).  uri:
 * only backslashes and line breaks (URL and IMPP values). */
static void put_text(at_buf *out, const char *s, bool uri)
{
	for (const char *p = s; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			at_buf_puts(out, "\\\\");
			break;
		case '\r':
			if (p[1] == '\n')
				p++;
			/* fall through */
		case '\n':
			at_buf_puts(out, "\\n");
			break;
		case ',':
		case ';':
			if (!uri)
				at_buf_putc(out, '\\');
			at_buf_putc(out, *p);
			break;
		default:
			at_buf_putc(out, *p);
		}
	}
}

typedef struct writer {
	json_t *fields;
	at_vcard_version version;
	at_buf card, line;
} writer;

static void emit(writer *w)
{
	put_folded(&w->card, w->line.data != NULL ? w->line.data : "", w->line.len);
	at_buf_truncate(&w->line, 0);
}

/* The string value of a field, NULL when absent or empty (types were
 * checked before). */
static const char *fstr(writer *w, const char *field)
{
	json_t *v = json_object_get(w->fields, field);
	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/* NAME:value for a text field, when set. */
static void emit_text(writer *w, const char *prop, const char *field, bool uri)
{
	const char *v = fstr(w, field);
	if (v == NULL)
		return;
	at_buf_puts(&w->line, prop);
	at_buf_putc(&w->line, ':');
	put_text(&w->line, v, uri);
	emit(w);
}

/* NAME:a;b;c from fields (all empty: nothing, unless always). */
static void emit_structured(writer *w, const char *prop, const char *const *fields, size_t n,
			    bool always)
{
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any |= fields[i] != NULL && fstr(w, fields[i]) != NULL;
	if (!any && !always)
		return;
	at_buf_puts(&w->line, prop);
	at_buf_putc(&w->line, ':');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			at_buf_putc(&w->line, ';');
		const char *v = fields[i] != NULL ? fstr(w, fields[i]) : NULL;
		if (v != NULL)
			put_text(&w->line, v, false);
	}
	emit(w);
}

static void emit_date(writer *w, const char *prop, const char *field)
{
	const char *v = fstr(w, field);
	if (v == NULL)
		return;
	at_buf_puts(&w->line, prop);
	at_buf_putc(&w->line, ':');
	if (w->version == AT_VCARD_V40) {
		at_buf_append(&w->line, v, 4);
		at_buf_append(&w->line, v + 5, 2);
		at_buf_append(&w->line, v + 8, 2);
	} else {
		at_buf_puts(&w->line, v);
	}
	emit(w);
}

/* Checks the types of the fields the writer reads. */
static int check_types(json_t *fields, at_error *err)
{
	const at_item_type *t = at_model_item_type("contact");
	for (size_t k = 0; k < t->n_fields; k++) {
		const at_field_def *f = &t->fields[k];
		json_t *v = json_object_get(fields, f->name);
		if (v == NULL)
			continue;
		bool ok = true;
		switch (f->type) {
		case AT_FT_TEXT:
		case AT_FT_LONGTEXT:
			ok = json_is_string(v);
			break;
		case AT_FT_DATE:
			ok = json_is_string(v) && valid_ymd(json_string_value(v));
			break;
		case AT_FT_BOOL:
			ok = json_is_boolean(v);
			break;
		case AT_FT_TEXT_LIST: {
			size_t i;
			json_t *e;
			ok = json_is_array(v);
			json_array_foreach(v, i, e) {
				ok &= json_is_string(e);
			}
			break;
		}
		default:
			break;  /* no contact field has the other types */
		}
		if (!ok)
			return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
					    f->name, "field %s has the wrong type for a vCard",
					    f->name);
	}
	return 0;
}

/* The lines of vcardExtra, each checked to be one property; *has_uid_r
 * when one is UID. */
static int check_extra(const char *extra, bool *has_uid_r, at_error *err)
{
	reader r;
	prop_ctx c = {AT_VCARD_V30};  /* bare parameters of 3.0 lines allowed */
	int ret = 0;
	memset(&r, 0, sizeof(r));
	r.a = at_arena_new(4096);
	*has_uid_r = false;
	unsigned n = 0;
	for (const char *p = extra; *p != '\0' && ret == 0;) {
		const char *e = p;
		while (*e != '\0' && *e != '\r' && *e != '\n')
			e++;
		n++;
		if (e > p) {
			at_vcard_prop prop;
			if (parse_prop(&r, &c, p, (size_t)(e - p), n, &prop) < 0) {
				ret = at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						   AT_RETRY_FINAL, AT_VCARD_EXTRA_FIELD,
						   "vcardExtra %s", r.msg);
			} else if (strcmp(prop.name, "BEGIN") == 0 || strcmp(prop.name, "END") == 0 ||
				   strcmp(prop.name, "VERSION") == 0) {
				ret = at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM,
						   AT_RETRY_FINAL, AT_VCARD_EXTRA_FIELD,
						   "vcardExtra line %u: %s cannot be kept", n,
						   prop.name);
			} else if (strcmp(prop.name, "UID") == 0) {
				*has_uid_r = true;
			}
		}
		p = e;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
	}
	at_arena_free(&r.a);
	return ret;
}

/* What every card ends with: NOTE, CATEGORIES, the private flag, UID
 * (unless the kept lines have one), the kept lines, END; then the card is
 * appended to out. */
static int end_card(writer *w, const char *uid, bool has_uid, const char *extra,
		       at_buf *out, at_error *err)
{
	bool v4 = w->version == AT_VCARD_V40;
	emit_text(w, "NOTE", "notes", false);
	json_t *cats = json_object_get(w->fields, "categories");
	if (json_array_size(cats) > 0) {
		size_t i, n = 0;
		json_t *e;
		at_buf_puts(&w->line, "CATEGORIES:");
		json_array_foreach(cats, i, e) {
			if (json_string_length(e) == 0)
				continue;
			if (n++ > 0)
				at_buf_putc(&w->line, ',');
			put_text(&w->line, json_string_value(e), false);
		}
		if (n > 0)
			emit(w);
		else
			at_buf_truncate(&w->line, 0);
	}
	json_t *priv = json_object_get(w->fields, "private");
	if (json_is_boolean(priv)) {
		if (v4)
			at_buf_puts(&w->line, json_is_true(priv) ? "X-PRIVATE:TRUE" : "X-PRIVATE:FALSE");
		else
			at_buf_puts(&w->line, json_is_true(priv) ? "CLASS:PRIVATE" : "CLASS:PUBLIC");
		emit(w);
	}
	if (uid != NULL && uid[0] != '\0' && !has_uid) {
		at_buf_puts(&w->line, "UID:");
		put_text(&w->line, uid, false);
		emit(w);
	}
	for (const char *p = extra != NULL ? extra : ""; *p != '\0';) {
		const char *e = p;
		while (*e != '\0' && *e != '\r' && *e != '\n')
			e++;
		if (e > p)
			put_folded(&w->card, p, (size_t)(e - p));
		p = e;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
	}
	at_buf_puts(&w->card, "END:VCARD\r\n");
	if (at_buf_append(out, w->card.data, w->card.len) < 0)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
				    "the vCard output is over its size limit");
	return 0;
}

int at_vcard_from_fields(json_t *fields, at_vcard_version version, const char *uid,
			 at_buf *out, at_error *err)
{
	writer w = {.fields = fields, .version = version};
	at_arena *a = NULL;
	bool has_uid = false;
	int ret = -1;

	if (!json_is_object(fields))
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    NULL, "the fields of a vCard must be a JSON object");
	if (version != AT_VCARD_V30 && version != AT_VCARD_V40)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    NULL, "vCards are written in version 3.0 or 4.0");
	if (check_types(fields, err) < 0)
		return -1;
	const char *extra = fstr(&w, AT_VCARD_EXTRA_FIELD);
	if (extra != NULL && check_extra(extra, &has_uid, err) < 0)
		return -1;
	a = at_arena_new(0);
	at_buf_init(&w.card, 0);
	at_buf_init(&w.line, 0);
	bool v4 = version == AT_VCARD_V40;

	at_buf_puts(&w.card, v4 ? "BEGIN:VCARD\r\nVERSION:4.0\r\n" : "BEGIN:VCARD\r\nVERSION:3.0\r\n");
	const char *fn = fstr(&w, "displayName");
	at_buf_puts(&w.line, "FN:");
	put_text(&w.line, fn != NULL ? fn : derived_fn(fields, a), false);
	emit(&w);
	static const char *const n_fields[] = {"lastName", "firstName", "middleName", "title",
					       "suffix"};
	emit_structured(&w, "N", n_fields, 5, !v4);
	emit_text(&w, "NICKNAME", "nickname", false);
	static const char *const org_fields[] = {"company", "department"};
	emit_structured(&w, "ORG", org_fields, 2, false);
	emit_text(&w, "TITLE", "jobTitle", false);
	emit_text(&w, "ROLE", "profession", false);
	emit_text(&w, "X-OFFICE", "office", false);
	emit_text(&w, "X-MANAGER", "managerName", false);
	emit_text(&w, "X-ASSISTANT", "assistantName", false);
	emit_text(&w, v4 ? "RELATED;TYPE=spouse;VALUE=text" : "X-SPOUSE", "spouseName", false);
	emit_date(&w, "BDAY", "birthday");
	emit_date(&w, v4 ? "ANNIVERSARY" : "X-ANNIVERSARY", "anniversary");
	for (size_t i = 0; i < sizeof(phone_kinds) / sizeof(phone_kinds[0]); i++) {
		const phone_kind *k = &phone_kinds[i];
		const char *v = fstr(&w, k->field);
		if (v == NULL)
			continue;
		at_buf_printf(&w.line, "TEL;TYPE=%s%s:", v4 ? k->type40 : k->type30,
			      v4 && k->pref40 ? ";PREF=1" : "");
		put_text(&w.line, v, false);
		emit(&w);
	}
	static const char *const adr_kinds[][3] = {
		{"business", "ADR;TYPE=work"}, {"home", "ADR;TYPE=home"}, {"other", "ADR"}};
	for (size_t i = 0; i < 3; i++) {
		char names[5][32];
		const char *adr[7] = {NULL, NULL};
		static const char *const parts[] = {"Street", "City", "State", "PostalCode",
						    "Country"};
		for (size_t k = 0; k < 5; k++) {
			snprintf(names[k], sizeof(names[k]), "%s%s", adr_kinds[i][0], parts[k]);
			adr[2 + k] = names[k];
		}
		emit_structured(&w, adr_kinds[i][1], adr, 7, false);
	}
	for (int i = 1; i <= 3; i++) {
		char field[16], name_field[16];
		snprintf(field, sizeof(field), "email%d", i);
		snprintf(name_field, sizeof(name_field), "email%dName", i);
		const char *v = fstr(&w, field), *name = fstr(&w, name_field);
		if (v == NULL && name == NULL)
			continue;
		at_buf_puts(&w.line, "EMAIL");
		if (v4)
			at_buf_printf(&w.line, ";PREF=%d", i);
		else
			at_buf_puts(&w.line, i == 1 ? ";TYPE=internet,pref" : ";TYPE=internet");
		if (name != NULL) {
			at_buf_puts(&w.line, ";X-CN=");
			put_param_value(&w.line, name);
		}
		at_buf_putc(&w.line, ':');
		if (v != NULL)
			put_text(&w.line, v, false);
		emit(&w);
	}
	emit_text(&w, "URL", "webPage", true);
	const char *im = fstr(&w, "imAddress");
	if (im != NULL)
		emit_text(&w, has_scheme(im) ? "IMPP" : "X-MS-IMADDRESS", "imAddress",
			  has_scheme(im));
	ret = end_card(&w, uid, has_uid, extra, out, err);
	at_buf_free(&w.card);
	at_buf_free(&w.line);
	at_arena_free(&a);
	return ret;
}

/* ---- the mapping: card to fields ------------------------------------------------ */

typedef struct mapper {
	const at_vcard *card;
	json_t *fields;
	at_arena *a;
	at_buf extra;                 /* kept lines, CRLF between them */
	unsigned extra_line;          /* the first kept property's line */
	struct {
		const char *field;
		unsigned line;
	} origin[96];                 /* which line set each field */
	size_t n_origin;
	const at_vcard_prop **emails;  /* room for every property */
	size_t n_emails;
	json_t *categories;
	unsigned categories_line;
} mapper;

static void keep_raw(mapper *m, const char *raw, unsigned line)
{
	if (m->extra.len > 0)
		at_buf_puts(&m->extra, "\r\n");
	else
		m->extra_line = line;
	at_buf_puts(&m->extra, raw);
}

static void keep(mapper *m, const at_vcard_prop *p)
{
	keep_raw(m, p->raw, p->line);
}

static bool taken(mapper *m, const char *field)
{
	return json_object_get(m->fields, field) != NULL;
}

static void set_field(mapper *m, const char *field, json_t *v, unsigned line)
{
	json_object_set_new(m->fields, field, v);
	if (m->n_origin < sizeof(m->origin) / sizeof(m->origin[0])) {
		m->origin[m->n_origin].field = field;
		m->origin[m->n_origin].line = line;
		m->n_origin++;
	}
}

/* Text for a one-line field: line breaks become ", " (empty lines
 * dropped), tabs spaces. */
static char *one_line(at_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = at_arena_alloc(a, n * 2 + 1);
	size_t o = 0;
	bool pending = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\r' || c == '\n') {
			pending = o > 0;
			continue;
		}
		if (pending) {
			out[o++] = ',';
			out[o++] = ' ';
			pending = false;
		}
		out[o++] = c == '\t' ? ' ' : c;
	}
	out[o] = '\0';
	return out;
}

/* Notes: CR LF and lone CR become LF. */
static char *lf_only(at_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = at_arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			out[o++] = '\n';
			if (s[i + 1] == '\n')
				i++;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Sets field from a one-line text (already unescaped); empty values set
 * nothing.  Returns false when the field was already set (the caller keeps
 * the property). */
static bool map_value(mapper *m, const char *field, const char *v, unsigned line)
{
	if (taken(m, field))
		return false;
	v = one_line(m->a, v);
	if (v[0] != '\0')
		set_field(m, field, json_string(v), line);
	return true;
}

static void map_text(mapper *m, const at_vcard_prop *p, const char *field)
{
	if (!map_value(m, field, at_vcard_unescape(p->value, m->a), p->line))
		keep(m, p);
}

/* Splits a structured value at unescaped ';' into at most max parts (the
 * last takes the rest, its ';' kept) and unescapes each. */
static size_t split_structured(at_arena *a, const char *v, char **parts, size_t max)
{
	size_t n = 0;
	const char *start = v;
	for (const char *p = v;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if ((*p == ';' && n + 1 < max) || *p == '\0') {
			char *raw = at_arena_strndup(a, start, (size_t)(p - start));
			parts[n++] = at_vcard_unescape(raw, a);
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	for (size_t i = n; i < max; i++)
		parts[i] = "";
	return n;
}

/* Sets the fields of a structured value; a field already set keeps the
 * whole property (nothing of it is taken).  Returns false then. */
static bool map_structured(mapper *m, const at_vcard_prop *p, const char *const *fields,
			   size_t n)
{
	char *parts[8];
	for (size_t i = 0; i < n; i++)
		if (fields[i] != NULL && taken(m, fields[i]))
			return false;
	split_structured(m->a, p->value, parts, n);
	for (size_t i = 0; i < n; i++)
		if (fields[i] != NULL)
			map_value(m, fields[i], parts[i], p->line);
	return true;
}

/* BDAY and anniversaries: YYYY-MM-DD or YYYYMMDD, maybe with a time;
 * NULL for anything else (no year, text, a day that does not exist). */
static const char *date_value(mapper *m, const at_vcard_prop *p)
{
	const at_vcard_param *vt = at_vcard_param_get(p, "VALUE");
	if (vt != NULL && vt->n_values > 0 && strcasecmp(vt->values[0], "text") == 0)
		return NULL;
	const char *v = p->value;
	char d[11];
	size_t len;
	if (strlen(v) >= 10 && v[4] == '-' && v[7] == '-') {
		memcpy(d, v, 10);
		len = 10;
	} else if (strlen(v) >= 8 && v[4] != '-') {
		memcpy(d, v, 4);
		d[4] = '-';
		memcpy(d + 5, v + 4, 2);
		d[7] = '-';
		memcpy(d + 8, v + 6, 2);
		len = 8;
	} else {
		return NULL;
	}
	d[10] = '\0';
	if (v[len] != '\0' && v[len] != 'T')
		return NULL;
	return valid_ymd(d) ? at_arena_strdup(m->a, d) : NULL;
}

static void map_date(mapper *m, const at_vcard_prop *p, const char *field)
{
	const char *d = date_value(m, p);
	if (d == NULL || taken(m, field))
		keep(m, p);
	else
		set_field(m, field, json_string(d), p->line);
}

/* The T_ bits of a property's TYPE values (and 2.1 bare types). */
static unsigned types_of(const at_vcard_prop *p)
{
	unsigned bits = 0;
	for (size_t i = 0; i < p->n_params; i++) {
		if (strcmp(p->params[i].name, "TYPE") != 0)
			continue;
		for (size_t k = 0; k < p->params[i].n_values; k++) {
			const char *t = p->params[i].values[k];
			for (size_t j = 0; j < sizeof(type_bits) / sizeof(type_bits[0]); j++)
				if ((t[0] | 0x20) == type_bits[j].type[0] &&
				    strcasecmp(t, type_bits[j].type) == 0) {
					bits |= type_bits[j].bit;
					break;
				}
		}
	}
	return bits;
}

static bool is_pref(const at_vcard_prop *p, unsigned types)
{
	const at_vcard_param *pref = at_vcard_param_get(p, "PREF");
	return (types & T_PREF) ||
	       (pref != NULL && pref->n_values > 0 && strcmp(pref->values[0], "1") == 0);
}

static void map_tel(mapper *m, const at_vcard_prop *p)
{
	const char *field = NULL, *second = NULL;
	unsigned types = types_of(p);
	for (size_t i = 0; i < sizeof(phone_kinds) / sizeof(phone_kinds[0]) && !field; i++)
		if (types & phone_kinds[i].key)
			field = phone_kinds[i].field;
	if (field == NULL) {
		bool work = types & T_WORK, home = types & T_HOME;
		if (types & T_FAX)
			field = work ? "phoneBusinessFax" : home ? "phoneHomeFax" : "phoneOtherFax";
		else if (work)
			field = "phoneBusiness", second = "phoneBusiness2";
		else if (home)
			field = "phoneHome", second = "phoneHome2";
		else if (is_pref(p, types))
			field = "phonePrimary";
		else
			field = "phoneOther";
	}
	if (taken(m, field) && second != NULL)
		field = second;
	const char *v = at_vcard_unescape(p->value, m->a);
	const at_vcard_param *vt = at_vcard_param_get(p, "VALUE");
	if (vt != NULL && vt->n_values > 0 && strcasecmp(vt->values[0], "uri") == 0 &&
	    strncasecmp(v, "tel:", 4) == 0)
		v += 4;
	if (!map_value(m, field, v, p->line))
		keep(m, p);
}

static void map_adr(mapper *m, const at_vcard_prop *p)
{
	static const char *const adr_fields[3][5] = {
		{"businessStreet", "businessCity", "businessState", "businessPostalCode",
		 "businessCountry"},
		{"homeStreet", "homeCity", "homeState", "homePostalCode", "homeCountry"},
		{"otherStreet", "otherCity", "otherState", "otherPostalCode", "otherCountry"},
	};
	unsigned types = types_of(p);
	const char *const *fields = adr_fields[types & T_WORK ? 0 : types & T_HOME ? 1 : 2];
	for (size_t k = 0; k < 5; k++) {
		if (taken(m, fields[k])) {
			keep(m, p);
			return;
		}
	}
	char *v[7];
	split_structured(m->a, p->value, v, 7);
	/* pobox and extended address go after the street */
	at_buf street;
	at_buf_init(&street, 0);
	const char *order[3] = {v[2], v[1], v[0]};
	for (size_t k = 0; k < 3; k++) {
		const char *s = one_line(m->a, order[k]);
		if (s[0] == '\0')
			continue;
		if (street.len > 0)
			at_buf_puts(&street, ", ");
		at_buf_puts(&street, s);
	}
	map_value(m, fields[0], street.data != NULL ? street.data : "", p->line);
	at_buf_free(&street);
	for (size_t k = 1; k < 5; k++)
		map_value(m, fields[k], v[2 + k], p->line);
}

static void map_categories(mapper *m, const at_vcard_prop *p)
{
	if (m->categories == NULL) {
		m->categories = json_array();
		m->categories_line = p->line;
	}
	const char *start = p->value;
	for (const char *q = p->value;; q++) {
		if (*q == '\\' && q[1] != '\0') {
			q++;
			continue;
		}
		if (*q != ',' && *q != '\0')
			continue;
		char *raw = at_arena_strndup(m->a, start, (size_t)(q - start));
		const char *c = one_line(m->a, at_vcard_unescape(raw, m->a));
		bool dup = c[0] == '\0';
		size_t i;
		json_t *e;
		json_array_foreach(m->categories, i, e) {
			dup |= strcmp(json_string_value(e), c) == 0;
		}
		if (!dup)
			json_array_append_new(m->categories, json_string(c));
		if (*q == '\0')
			break;
		start = q + 1;
	}
}

static void map_private(mapper *m, const at_vcard_prop *p)
{
	const char *v = p->value;
	int val = -1;
	if (strcmp(p->name, "CLASS") == 0)
		val = strcasecmp(v, "PRIVATE") == 0 ? 1 : strcasecmp(v, "PUBLIC") == 0 ? 0 : -1;
	else if (strcasecmp(v, "TRUE") == 0 || strcmp(v, "1") == 0)
		val = 1;
	else if (strcasecmp(v, "FALSE") == 0 || strcmp(v, "0") == 0)
		val = 0;
	if (val < 0 || taken(m, "private"))
		keep(m, p);
	else
		set_field(m, "private", json_boolean(val), p->line);
}

/* PREF rank of an EMAIL: PREF=n, TYPE=pref as 1, none as 100. */
static int email_rank(const at_vcard_prop *p)
{
	const at_vcard_param *pref = at_vcard_param_get(p, "PREF");
	if (pref != NULL && pref->n_values > 0) {
		int r = atoi(pref->values[0]);
		return r >= 1 && r <= 100 ? r : 100;
	}
	return types_of(p) & T_PREF ? 1 : 100;
}

static void map_emails(mapper *m)
{
	/* stable insertion sort by rank: few e-mails per card */
	int *rank = at_arena_alloc(m->a, (m->n_emails + 1) * sizeof(*rank));
	for (size_t i = 0; i < m->n_emails; i++)
		rank[i] = email_rank(m->emails[i]);
	for (size_t i = 1; i < m->n_emails; i++) {
		const at_vcard_prop *p = m->emails[i];
		int r = rank[i];
		size_t j = i;
		while (j > 0 && rank[j - 1] > r) {
			m->emails[j] = m->emails[j - 1];
			rank[j] = rank[j - 1];
			j--;
		}
		m->emails[j] = p;
		rank[j] = r;
	}
	for (size_t i = 0; i < m->n_emails; i++) {
		const at_vcard_prop *p = m->emails[i];
		if (i >= 3) {
			/* kept without PREF, so that it stays after the first three */
			at_vcard_prop q = *p;
			at_vcard_param *params = at_arena_alloc(m->a, (p->n_params + 1) *
								      sizeof(*params));
			size_t n = 0;
			for (size_t k = 0; k < p->n_params; k++) {
				const at_vcard_param *pa = &p->params[k];
				if (strcmp(pa->name, "PREF") == 0)
					continue;
				params[n] = *pa;
				if (strcmp(pa->name, "TYPE") == 0) {
					const char **vals = at_arena_alloc(m->a, (pa->n_values + 1) *
										 sizeof(*vals));
					size_t nv = 0;
					for (size_t j = 0; j < pa->n_values; j++)
						if (strcasecmp(pa->values[j], "pref") != 0)
							vals[nv++] = pa->values[j];
					if (nv == 0)
						continue;
					params[n].values = vals;
					params[n].n_values = nv;
				}
				n++;
			}
			q.params = params;
			q.n_params = n;
			q.bin = NULL;
			keep_raw(m, rebuild_raw(m->a, &q, NULL), p->line);
			continue;
		}
		char field[16], name_field[16];
		snprintf(field, sizeof(field), "email%zu", i + 1);
		snprintf(name_field, sizeof(name_field), "email%zuName", i + 1);
		map_value(m, at_arena_strdup(m->a, field), at_vcard_unescape(p->value, m->a),
			  p->line);
		const at_vcard_param *cn = at_vcard_param_get(p, "X-CN");
		if (cn != NULL) {
			at_buf name;
			at_buf_init(&name, 0);
			for (size_t k = 0; k < cn->n_values; k++) {
				if (k > 0)
					at_buf_putc(&name, ',');
				at_buf_puts(&name, cn->values[k]);
			}
			map_value(m, at_arena_strdup(m->a, name_field),
				  name.data != NULL ? name.data : "", p->line);
			at_buf_free(&name);
		}
	}
}

static void map_prop(mapper *m, const at_vcard_prop *p, const at_vcard_prop **fn)
{
	const char *name = p->name;
	static const char *const n_fields[] = {"lastName", "firstName", "middleName", "title",
					       "suffix"};
	static const char *const org_fields[] = {"company", "department"};

	if (strcmp(name, "FN") == 0) {
		if (*fn == NULL)
			*fn = p;
		else
			keep(m, p);
	} else if (strcmp(name, "N") == 0) {
		if (!map_structured(m, p, n_fields, 5))
			keep(m, p);
	} else if (strcmp(name, "ORG") == 0) {
		if (!map_structured(m, p, org_fields, 2))
			keep(m, p);
	} else if (strcmp(name, "NICKNAME") == 0) {
		map_text(m, p, "nickname");
	} else if (strcmp(name, "TITLE") == 0) {
		map_text(m, p, "jobTitle");
	} else if (strcmp(name, "ROLE") == 0) {
		map_text(m, p, "profession");
	} else if (strcmp(name, "X-OFFICE") == 0) {
		map_text(m, p, "office");
	} else if (in_list(name, manager_props)) {
		map_text(m, p, "managerName");
	} else if (in_list(name, assistant_props)) {
		map_text(m, p, "assistantName");
	} else if (in_list(name, spouse_props)) {
		map_text(m, p, "spouseName");
	} else if (strcmp(name, "RELATED") == 0) {
		const at_vcard_param *vt = at_vcard_param_get(p, "VALUE");
		bool text = vt != NULL && vt->n_values > 0 && strcasecmp(vt->values[0], "text") == 0;
		const char *v = at_vcard_unescape(p->value, m->a);
		if ((types_of(p) & T_SPOUSE) && (text || !has_scheme(v)))
			map_text(m, p, "spouseName");
		else
			keep(m, p);
	} else if (strcmp(name, "BDAY") == 0) {
		map_date(m, p, "birthday");
	} else if (in_list(name, anniversary_props)) {
		map_date(m, p, "anniversary");
	} else if (strcmp(name, "TEL") == 0) {
		map_tel(m, p);
	} else if (strcmp(name, "ADR") == 0) {
		map_adr(m, p);
	} else if (strcmp(name, "EMAIL") == 0) {
		if (p->value[0] != '\0' || at_vcard_param_get(p, "X-CN") != NULL)
			m->emails[m->n_emails++] = p;
	} else if (strcmp(name, "URL") == 0) {
		map_text(m, p, "webPage");
	} else if (strcmp(name, "IMPP") == 0 || strcmp(name, "X-MS-IMADDRESS") == 0) {
		map_text(m, p, "imAddress");
	} else if (strcmp(name, "NOTE") == 0) {
		const char *v = lf_only(m->a, at_vcard_unescape(p->value, m->a));
		if (taken(m, "notes"))
			keep(m, p);
		else if (v[0] != '\0')
			set_field(m, "notes", json_string(v), p->line);
	} else if (strcmp(name, "CATEGORIES") == 0) {
		map_categories(m, p);
	} else if (strcmp(name, "CLASS") == 0 || strcmp(name, "X-PRIVATE") == 0) {
		map_private(m, p);
	} else {
		for (size_t i = 0; i < sizeof(im_props) / sizeof(im_props[0]); i++) {
			if (strcmp(name, im_props[i].prop) != 0)
				continue;
			const char *v = one_line(m->a, at_vcard_unescape(p->value, m->a));
			if (v[0] != '\0' && !map_value(m, "imAddress",
						       at_arena_printf(m->a, "%s:%s",
								       im_props[i].scheme, v),
						       p->line))
				keep(m, p);
			return;
		}
		keep(m, p);
	}
}

int at_vcard_to_fields(const at_vcard *card, json_t **fields_r, at_error *err)
{
	mapper mm, *m = &mm;
	const at_vcard_prop *fn = NULL;
	at_error verr;
	int ret = -1;

	*fields_r = NULL;
	memset(m, 0, sizeof(*m));
	if (card->error_code != NULL) {
		ret = at_vcard_card_error(card, err);
		goto done;
	}
	if (at_vcard_is_list(card)) {
		at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "line %u: this card is a distribution list, not a contact",
			     card->line);
		goto done;
	}
	m->card = card;
	m->fields = json_object();
	m->a = at_arena_new(4096);
	m->emails = at_arena_alloc(m->a, (card->n_props + 1) * sizeof(*m->emails));
	at_buf_init(&m->extra, 0);
	for (size_t i = 0; i < card->n_props; i++)
		map_prop(m, &card->props[i], &fn);
	map_emails(m);
	if (m->categories != NULL && json_array_size(m->categories) > 0)
		set_field(m, "categories", json_incref(m->categories), m->categories_line);
	if (fn != NULL) {
		const char *v = one_line(m->a, at_vcard_unescape(fn->value, m->a));
		if (v[0] != '\0' && strcmp(v, derived_fn(m->fields, m->a)) != 0)
			set_field(m, "displayName", json_string(v), fn->line);
	}
	if (m->extra.len > 0)
		set_field(m, AT_VCARD_EXTRA_FIELD, json_stringn(m->extra.data, m->extra.len),
			  m->extra_line);
	at_error_clear(&verr);
	if (at_model_validate(at_model_item_type("contact"), m->fields, false, &verr) < 0) {
		unsigned line = card->line;
		for (size_t i = 0; i < m->n_origin; i++)
			if (strcmp(m->origin[i].field, verr.field) == 0)
				line = m->origin[i].line;
		at_error_set(err, verr.code, AT_SCOPE_ITEM, AT_RETRY_FINAL,
			     verr.field[0] ? verr.field : NULL, "line %u: %s", line, verr.message);
		goto done;
	}
	*fields_r = m->fields;
	m->fields = NULL;
	ret = 0;
done:
	json_decref(m->fields);
	json_decref(m->categories);
	at_buf_free(&m->extra);
	at_arena_free(&m->a);
	return ret;
}

/* ---- distribution lists ------------------------------------------------------- */

static bool is_member_prop(const char *name)
{
	return strcmp(name, "MEMBER") == 0 || strcmp(name, "X-ADDRESSBOOKSERVER-MEMBER") == 0;
}

static bool is_kind_prop(const char *name)
{
	return strcmp(name, "KIND") == 0 || strcmp(name, "X-ADDRESSBOOKSERVER-KIND") == 0;
}

/* The first value of a parameter, NULL when absent. */
static const char *param1(const at_vcard_prop *p, const char *name)
{
	const at_vcard_param *pa = at_vcard_param_get(p, name);
	return pa != NULL && pa->n_values > 0 ? pa->values[0] : NULL;
}

/* A member's string, NULL when absent or empty. */
static const char *mstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/* Whether kept lines hold a property called name (upper case), in a group
 * or not. */
static bool extra_has(const char *extra, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = extra; p != NULL && *p != '\0';) {
		const char *q = p;
		while (name_char((unsigned char)*q))
			q++;
		const char *prop = *q == '.' ? q + 1 : p;
		if (strncasecmp(prop, name, n) == 0 && (prop[n] == ':' || prop[n] == ';'))
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

/* The same recipient, as the model sees it (model_list.c). */
static bool same_member(json_t *a, json_t *b)
{
	const char *ca = mstr(a, "contactId"), *cb = mstr(b, "contactId");
	if (ca != NULL || cb != NULL) {
		const char *fa = mstr(a, "addressField"), *fb = mstr(b, "addressField");
		return ca != NULL && cb != NULL && strcmp(ca, cb) == 0 &&
		       strcmp(fa ? fa : "email1", fb ? fb : "email1") == 0;
	}
	const char *aa = mstr(a, "address"), *ab = mstr(b, "address");
	return aa != NULL && ab != NULL && strcasecmp(aa, ab) == 0;
}

/* One MEMBER as a member object, or NULL when it has to be kept verbatim
 * (a URI that is neither mailto: nor a contact the resolver knows). */
static json_t *member_of(mapper *m, const at_vcard_prop *p, at_vcard_member_fn *resolve,
			 void *ctx)
{
	const char *uri = at_vcard_unescape(p->value, m->a);
	const char *name = param1(p, "X-CN");
	if (name == NULL)
		name = param1(p, "CN");
	if (strncasecmp(uri, "mailto:", 7) == 0) {
		if (uri[7] == '\0' || param1(p, "X-ATRIUM-ADDRESS") != NULL)
			return NULL;
		json_t *o = json_pack("{s:s}", "address", uri + 7);
		if (name != NULL && name[0] != '\0')
			json_object_set_new(o, "name", json_string(name));
		return o;
	}
	const char *id = resolve != NULL ? resolve(ctx, uri) : NULL;
	if (id == NULL)
		return NULL;
	json_t *o = json_pack("{s:s}", "contactId", id);
	const char *which = param1(p, "X-ATRIUM-ADDRESS");
	if (which != NULL) {
		if (strcmp(which, "email1") != 0 && strcmp(which, "email2") != 0 &&
		    strcmp(which, "email3") != 0) {
			json_decref(o);
			return NULL;
		}
		if (strcmp(which, "email1") != 0)  /* the default goes unsaid */
			json_object_set_new(o, "addressField", json_string(which));
	}
	if (name != NULL && name[0] != '\0')
		json_object_set_new(o, "name", json_string(name));
	return o;
}

int at_vcard_list_to_fields(const at_vcard *card, at_vcard_member_fn *resolve, void *ctx,
			    json_t **fields_r, at_error *err)
{
	mapper mm, *m = &mm;
	const at_vcard_prop *fn = NULL, *n_prop = NULL;
	json_t *members = json_array();
	at_error verr;
	int ret = -1;

	*fields_r = NULL;
	memset(m, 0, sizeof(*m));
	if (card->error_code != NULL) {
		ret = at_vcard_card_error(card, err);
		goto done;
	}
	if (!at_vcard_is_list(card)) {
		at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL, NULL,
			     "line %u: this vCard is not a distribution list", card->line);
		goto done;
	}
	m->card = card;
	m->fields = json_object();
	m->a = at_arena_new(4096);
	at_buf_init(&m->extra, 0);
	/* the name first: an N that a 3.0 writer derives from it is not kept
	 * (when it is the card's only N) */
	size_t n_count = 0;
	for (size_t i = 0; i < card->n_props; i++) {
		const at_vcard_prop *p = &card->props[i];
		if (strcmp(p->name, "FN") == 0 && fn == NULL)
			fn = p;
		else if (strcmp(p->name, "N") == 0 && n_count++ == 0)
			n_prop = p;
	}
	const char *name = fn != NULL ? one_line(m->a, at_vcard_unescape(fn->value, m->a)) : "";
	if (name[0] == '\0' && n_prop != NULL)
		name = one_line(m->a, at_vcard_unescape(n_prop->value, m->a));
	bool drop_n = false;
	if (n_count == 1) {
		at_buf derived;
		at_buf_init(&derived, 0);
		put_text(&derived, name, false);
		at_buf_puts(&derived, ";;;;");
		drop_n = derived.data != NULL && strcmp(n_prop->value, derived.data) == 0;
		at_buf_free(&derived);
	}
	for (size_t i = 0; i < card->n_props; i++) {
		const at_vcard_prop *p = &card->props[i];
		if (is_kind_prop(p->name) || p == fn || (p == n_prop && drop_n)) {
			continue;  /* the item type, the name */
		} else if (is_member_prop(p->name)) {
			json_t *o = member_of(m, p, resolve, ctx);
			bool dup = false;
			size_t k;
			json_t *e;
			json_array_foreach(members, k, e)
				if (o != NULL && same_member(e, o))
					dup = true;
			if (o == NULL || dup || json_array_size(members) >= AT_LIST_MAX_MEMBERS)
				keep(m, p);
			else
				json_array_append(members, o);
			json_decref(o);
		} else if (strcmp(p->name, "NOTE") == 0 && !taken(m, "notes")) {
			const char *v = lf_only(m->a, at_vcard_unescape(p->value, m->a));
			if (v[0] != '\0')
				set_field(m, "notes", json_string(v), p->line);
			else
				keep(m, p);
		} else if (strcmp(p->name, "CATEGORIES") == 0) {
			map_categories(m, p);
		} else if (strcmp(p->name, "CLASS") == 0 || strcmp(p->name, "X-PRIVATE") == 0) {
			map_private(m, p);
		} else {
			keep(m, p);
		}
	}
	if (name[0] == '\0') {
		at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, "displayName",
			     "line %u: the distribution list has no name (FN)", card->line);
		goto done;
	}
	set_field(m, "displayName", json_string(name), fn != NULL ? fn->line : card->line);
	if (json_array_size(members) > 0)
		set_field(m, "members", json_incref(members), card->line);
	if (m->categories != NULL && json_array_size(m->categories) > 0)
		set_field(m, "categories", json_incref(m->categories), m->categories_line);
	if (m->extra.len > 0)
		set_field(m, AT_VCARD_EXTRA_FIELD, json_stringn(m->extra.data, m->extra.len),
			  m->extra_line);
	at_error_clear(&verr);
	if (at_model_validate(&at_model_distribution_list, m->fields, false, &verr) < 0) {
		unsigned line = card->line;
		for (size_t i = 0; i < m->n_origin; i++)
			if (strcmp(m->origin[i].field, verr.field) == 0)
				line = m->origin[i].line;
		at_error_set(err, verr.code, AT_SCOPE_ITEM, AT_RETRY_FINAL,
			     verr.field[0] ? verr.field : NULL, "line %u: %s", line, verr.message);
		goto done;
	}
	*fields_r = m->fields;
	m->fields = NULL;
	ret = 0;
done:
	json_decref(members);
	json_decref(m->fields);
	json_decref(m->categories);
	at_buf_free(&m->extra);
	at_arena_free(&m->a);
	return ret;
}

int at_vcard_list_from_fields(json_t *fields, at_vcard_version version, const char *uid,
			      at_vcard_uid_fn *uid_of, void *ctx, at_buf *out, at_error *err)
{
	writer w = {.fields = fields, .version = version};
	bool has_uid = false;
	int ret = -1;
	at_error verr;

	if (version != AT_VCARD_V30 && version != AT_VCARD_V40)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    NULL, "vCards are written in version 3.0 or 4.0");
	at_error_clear(&verr);
	if (!json_is_object(fields) ||
	    at_model_validate(&at_model_distribution_list, fields, false, &verr) < 0)
		return at_error_set(err, AT_E_INVALID_ARGUMENTS, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    NULL, "not the fields of a distribution list: %s",
				    verr.message[0] ? verr.message : "not an object");
	const char *extra = fstr(&w, AT_VCARD_EXTRA_FIELD);
	if (extra != NULL && check_extra(extra, &has_uid, err) < 0)
		return -1;
	bool v4 = version == AT_VCARD_V40;
	at_buf_init(&w.card, 0);
	at_buf_init(&w.line, 0);
	at_buf_puts(&w.card, v4 ? "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\n"
				: "BEGIN:VCARD\r\nVERSION:3.0\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n");
	const char *name = fstr(&w, "displayName");
	at_buf_puts(&w.line, "FN:");
	put_text(&w.line, name, false);
	emit(&w);
	if (!v4 && !extra_has(extra, "N")) {
		/* RFC 2426 wants an N */
		at_buf_puts(&w.line, "N:");
		put_text(&w.line, name, false);
		at_buf_puts(&w.line, ";;;;");
		emit(&w);
	}
	const char *member_prop = v4 ? "MEMBER" : "X-ADDRESSBOOKSERVER-MEMBER";
	size_t i;
	json_t *mo;
	json_array_foreach(json_object_get(fields, "members"), i, mo) {
		const char *cid = mstr(mo, "contactId");
		const char *which = mstr(mo, "addressField");
		const char *mname = mstr(mo, "name");
		const char *addr = mstr(mo, "address");
		const char *cuid = cid != NULL && uid_of != NULL ? uid_of(ctx, cid) : NULL;
		if (cid != NULL && cuid == NULL && addr == NULL)
			continue;  /* a reference the writer cannot name, without address */
		at_buf_puts(&w.line, member_prop);
		if (mname != NULL) {
			at_buf_puts(&w.line, ";X-CN=");
			put_param_value(&w.line, mname);
		}
		if (cuid != NULL) {
			if (which != NULL && strcmp(which, "email1") != 0)
				at_buf_printf(&w.line, ";X-ATRIUM-ADDRESS=%s", which);
			at_buf_puts(&w.line, strncmp(cuid, "urn:", 4) == 0 ? ":" : ":urn:uuid:");
			put_text(&w.line, cuid, true);
		} else {
			at_buf_puts(&w.line, ":mailto:");
			put_text(&w.line, addr, true);
		}
		emit(&w);
	}
	ret = end_card(&w, uid, has_uid, extra, out, err);
	at_buf_free(&w.card);
	at_buf_free(&w.line);
	return ret;
}
