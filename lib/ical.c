/* ical.c — see ical.h. */
#include "ical.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#define FIELD "icalendar"

#define DEF_MAX_BYTES (8u << 20)
#define DEF_MAX_LINE (1u << 20)
#define DEF_MAX_COMPONENTS 10000u
#define DEF_MAX_PROPERTIES 200000u
#define DEF_MAX_PARAMS 64u
#define DEF_MAX_DEPTH 8u

/* ---- growable arrays (heap while building, copied into the arena) ------- */

typedef struct vec {
	void *v;
	size_t n, cap, size;
} vec;

static void *vec_push(vec *a)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		void *v = realloc(a->v, cap * a->size);
		if (v == NULL)
			abort(); /* as the arena does: OOM is not recoverable here */
		a->v = v;
		a->cap = cap;
	}
	void *p = (char *)a->v + a->n++ * a->size;
	memset(p, 0, a->size);
	return p;
}

/* Moves the content into the arena and empties the vector. */
static void *vec_finish(vec *a, at_arena *arena, size_t *n_r)
{
	void *out = NULL;
	*n_r = a->n;
	if (a->n > 0) {
		out = at_arena_alloc(arena, a->n * a->size);
		memcpy(out, a->v, a->n * a->size);
	}
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
	return out;
}

static void vec_free(vec *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

#define VEC(type) ((vec){NULL, 0, 0, sizeof(type)})

/* ---- errors ------------------------------------------------------------- */



typedef struct parser {
	at_arena *arena;
	at_ical_limits lim;
	at_error *err;
	unsigned err_line;
	/* lexer */
	unsigned n_components, n_properties;
} parser;

static int perr(parser *p, unsigned line, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(parser *p, unsigned line, const char *code, const char *fmt, ...)
{
	char msg[AT_ERROR_MESSAGE_MAX - 24];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err_line = line;
	at_error_set(p->err, code, AT_SCOPE_ITEM, AT_RETRY_FINAL, FIELD, "line %u: %s", line,
		     msg);
	if (p->err != NULL)
		at_error_scrub(p->err);
	return -1;
}

#define BAD(p, line, ...) perr(p, line, AT_E_INVALID_ARGUMENTS, __VA_ARGS__)
#define LIMIT(p, line, ...) perr(p, line, AT_E_LIMIT, __VA_ARGS__)

/* ---- lexer: content lines into a tree of verbatim components ------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	unsigned cp = c & (0x3F >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static bool name_char(int c)
{
	return isalnum(c) || c == '-';
}

typedef struct frame {
	at_ical_comp comp;
	vec props, subs;
} frame;

typedef struct lexer {
	parser *p;
	frame *stack;
	unsigned depth;
	vec top;          /* top-level components */
} lexer;

static void lexer_free(lexer *lx)
{
	for (unsigned i = 0; i < lx->depth; i++) {
		vec_free(&lx->stack[i].props);
		vec_free(&lx->stack[i].subs);
	}
	free(lx->stack);
	lx->stack = NULL;
	lx->depth = 0;
	vec_free(&lx->top);
}

/* One unfolded content line: name *(";" param) ":" value. */
static int content_line(lexer *lx, char *s, size_t len, unsigned line)
{
	parser *p = lx->p;
	/* Text checks: UTF-8, no control characters but TAB. */
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7F)
				return BAD(p, line, "control character 0x%02X in the line", c);
			i++;
			continue;
		}
		size_t n = utf8_seq((const unsigned char *)s + i, len - i);
		if (n == 0)
			return BAD(p, line, "the text is not valid UTF-8 (byte 0x%02X)", c);
		i += n;
	}
	s[len] = '\0';
	size_t i = 0;
	while (i < len && name_char((unsigned char)s[i]))
		i++;
	if (i == 0)
		return BAD(p, line, "a property name was expected, found \"%.20s\"", s);
	if (i == len || (s[i] != ';' && s[i] != ':'))
		return BAD(p, line, "\"%.40s\": a \":\" or \";\" was expected after the name",
			   s);
	if (++p->n_properties > p->lim.max_properties)
		return LIMIT(p, line, "more than %u lines (limit maxProperties)",
			     p->lim.max_properties);
	char *name = at_arena_strndup(p->arena, s, i);
	vec params = VEC(at_ical_param);
	while (s[i] == ';') {
		size_t ns = ++i;
		while (i < len && name_char((unsigned char)s[i]))
			i++;
		if (i == ns || s[i] != '=') {
			vec_free(&params);
			return BAD(p, line, "property %s: parameter \"%.30s\" has no \"=\"", name,
				   s + ns);
		}
		if (params.n >= p->lim.max_params) {
			vec_free(&params);
			return LIMIT(p, line, "property %s has more than %u parameters "
				     "(limit maxParams)", name, p->lim.max_params);
		}
		at_ical_param *pa = vec_push(&params);
		const char *pname = pa->name = at_arena_strndup(p->arena, s + ns, i - ns);
		size_t vs = ++i;
		for (;;) {
			if (s[i] == '"') {
				char *q = memchr(s + i + 1, '"', len - i - 1);
				if (q == NULL) {
					vec_free(&params);
					return BAD(p, line, "property %s: parameter %s has an "
						   "unterminated quoted value", name, pname);
				}
				i = (size_t)(q - s) + 1;
			} else {
				while (i < len && s[i] != ';' && s[i] != ':' && s[i] != ',' &&
				       s[i] != '"')
					i++;
				if (s[i] == '"') {
					vec_free(&params);
					return BAD(p, line, "property %s: parameter %s has a quote "
						   "inside its value", name, pname);
				}
			}
			if (s[i] != ',')
				break;
			i++;
		}
		pa->value = at_arena_strndup(p->arena, s + vs, i - vs);
	}
	if (s[i] != ':') {
		vec_free(&params);
		return BAD(p, line, "property %s: \":\" expected before the value", name);
	}
	const char *value = s + i + 1;
	size_t vlen = len - i - 1;

	if (strcasecmp(name, "BEGIN") == 0 || strcasecmp(name, "END") == 0) {
		bool begin = toupper((unsigned char)name[0]) == 'B';
		vec_free(&params);
		size_t k = 0;
		while (k < vlen && name_char((unsigned char)value[k]))
			k++;
		if (k == 0 || k != vlen)
			return BAD(p, line, "%s: \"%.40s\" is not a component name",
				   begin ? "BEGIN" : "END", value);
		if (begin) {
			if (++p->n_components > p->lim.max_components)
				return LIMIT(p, line, "more than %u components (limit "
					     "maxComponents)", p->lim.max_components);
			if (lx->depth >= p->lim.max_depth)
				return LIMIT(p, line, "components nested deeper than %u (limit "
					     "maxDepth)", p->lim.max_depth);
			frame *st = realloc(lx->stack, (lx->depth + 1) * sizeof(*st));
			if (st == NULL)
				abort();
			lx->stack = st;
			frame *f = &st[lx->depth++];
			memset(f, 0, sizeof(*f));
			f->comp.name = at_arena_strndup(p->arena, value, vlen);
			f->comp.line = line;
			f->props = VEC(at_ical_prop);
			f->subs = VEC(at_ical_comp);
			return 0;
		}
		if (lx->depth == 0)
			return BAD(p, line, "END:%s without a BEGIN", value);
		frame *f = &lx->stack[lx->depth - 1];
		if (strcasecmp(f->comp.name, value) != 0)
			return BAD(p, line, "END:%s does not close BEGIN:%s of line %u", value,
				   f->comp.name, f->comp.line);
		at_ical_comp c = f->comp;
		c.props = vec_finish(&f->props, p->arena, &c.n_props);
		c.subs = vec_finish(&f->subs, p->arena, &c.n_subs);
		lx->depth--;
		vec *parent = lx->depth ? &lx->stack[lx->depth - 1].subs : &lx->top;
		*(at_ical_comp *)vec_push(parent) = c;
		return 0;
	}
	vec *props;
	if (lx->depth > 0) {
		props = &lx->stack[lx->depth - 1].props;
	} else if (lx->top.n > 0) {
		/* After the end of the calendar (seen in feeds): kept with it. */
		at_ical_comp *last = &((at_ical_comp *)lx->top.v)[lx->top.n - 1];
		at_ical_prop *grown = at_arena_alloc(p->arena, (last->n_props + 1) * sizeof(*grown));
		if (last->n_props)
			memcpy(grown, last->props, last->n_props * sizeof(*grown));
		last->props = grown;
		at_ical_prop *pr = &grown[last->n_props++];
		pr->name = name;
		pr->params.v = vec_finish(&params, p->arena, &pr->params.n);
		pr->value = at_arena_strndup(p->arena, value, vlen);
		pr->line = line;
		return 0;
	} else {
		vec_free(&params);
		return BAD(p, line, "property %s outside of any component", name);
	}
	at_ical_prop *pr = vec_push(props);
	pr->name = name;
	pr->params.v = vec_finish(&params, p->arena, &pr->params.n);
	pr->value = at_arena_strndup(p->arena, value, vlen);
	pr->line = line;
	return 0;
}

static int lex(parser *p, const char *text, size_t len, at_ical_comp **top_r,
	       size_t *n_top_r)
{
	lexer lx = {p, NULL, 0, VEC(at_ical_comp)};
	vec buf = VEC(char);
	int rc = -1;
	unsigned line = 1, start_line = 0;
	size_t i = 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	bool have = false; /* a content line is being gathered */
	while (i <= len) {
		/* One physical line: [i, e), next line at nx. */
		size_t e = i;
		while (e < len && text[e] != '\r' && text[e] != '\n')
			e++;
		size_t nx = e;
		if (nx < len && text[nx] == '\r')
			nx++;
		if (nx < len && text[nx] == '\n')
			nx++;
		bool eof = e >= len;
		if (memchr(text + i, '\0', e - i) != NULL) {
			BAD(p, line, "NUL byte in the line");
			goto done;
		}
		if (e > i && (text[i] == ' ' || text[i] == '\t') && have) {
			/* continuation of the current content line */
			if (buf.n + (e - i - 1) > p->lim.max_line) {
				LIMIT(p, start_line, "a line longer than %zu bytes (limit maxLine)",
				      p->lim.max_line);
				goto done;
			}
			for (size_t k = i + 1; k < e; k++)
				*(char *)vec_push(&buf) = text[k];
		} else {
			if (have) {
				*(char *)vec_push(&buf) = '\0';
				if (content_line(&lx, buf.v, buf.n - 1, start_line) < 0)
					goto done;
				buf.n = 0;
				have = false;
			}
			bool blank = true;
			for (size_t k = i; k < e && blank; k++)
				blank = text[k] == ' ' || text[k] == '\t';
			if (!blank) {
				if (e - i > p->lim.max_line) {
					LIMIT(p, line, "a line longer than %zu bytes (limit maxLine)",
					      p->lim.max_line);
					goto done;
				}
				for (size_t k = i; k < e; k++)
					*(char *)vec_push(&buf) = text[k];
				have = true;
				start_line = line;
			}
		}
		if (eof)
			break;
		i = nx;
		line++;
	}
	if (have) {
		*(char *)vec_push(&buf) = '\0';
		if (content_line(&lx, buf.v, buf.n - 1, start_line) < 0)
			goto done;
	}
	if (lx.depth > 0) {
		frame *f = &lx.stack[lx.depth - 1];
		BAD(p, f->comp.line, "BEGIN:%s is never closed by END:%s", f->comp.name,
		    f->comp.name);
		goto done;
	}
	if (lx.top.n == 0) {
		BAD(p, line, "no component (BEGIN:VCALENDAR) in the text");
		goto done;
	}
	*top_r = vec_finish(&lx.top, p->arena, n_top_r);
	rc = 0;
done:
	vec_free(&buf);
	lexer_free(&lx);
	return rc;
}

/* ---- values ------------------------------------------------------------- */

/* TEXT value: \\ \; \, \n \N; any other escaped character stands for
 * itself (seen in the wild: "\:"). */
static char *text_unescape(at_arena *arena, const char *s)
{
	size_t n = strlen(s);
	char *out = at_arena_alloc(arena, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			char c = s[++i];
			*o++ = (c == 'n' || c == 'N') ? '\n' : c;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Splits a list value at unescaped commas (escapes kept). */
static size_t split_list(at_arena *arena, const char *s, const char ***parts_r)
{
	size_t n = 1;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1])
			i++;
		else if (s[i] == ',')
			n++;
	}
	const char **parts = at_arena_alloc(arena, n * sizeof(*parts));
	size_t k = 0, start = 0, i = 0;
	for (;; i++) {
		if (s[i] == '\\' && s[i + 1]) {
			i++;
			continue;
		}
		if (s[i] == ',' || s[i] == '\0') {
			parts[k++] = at_arena_strndup(arena, s + start, i - start);
			start = i + 1;
			if (s[i] == '\0')
				break;
		}
	}
	*parts_r = parts;
	return k;
}

/* A parameter value without its quotes (a single value). */
static const char *unquote(at_arena *arena, const char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"' && memchr(v + 1, '"', n - 2) == NULL)
		return at_arena_strndup(arena, v + 1, n - 2);
	return v;
}

/* Is a raw parameter value a single value (no unquoted comma)? */
static bool single_value(const char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"')
		return v[n - 1] == '"' && memchr(v + 1, '"', n - 2) == NULL;
	return strchr(v, ',') == NULL;
}

static bool is_name(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static int parse_2(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* [+-]P[nW] | [+-]P[nD][T[nH][nM][nS]] */
static int duration_parse(const char *s, bool *neg_r, at_recur_duration *d_r)
{
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s++ != 'P')
		return -1;
	at_recur_duration d = {0, 0};
	bool in_time = false, any = false, any_time = false;
	while (*s) {
		if (*s == 'T') {
			if (in_time)
				return -1;
			in_time = true;
			s++;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		long long v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > 100000000LL)
				return -1;
		}
		switch (*s++) {
		case 'W':
			if (in_time)
				return -1;
			d.days += (int)(v * 7);
			break;
		case 'D':
			if (in_time)
				return -1;
			d.days += (int)v;
			break;
		case 'H':
			if (!in_time)
				return -1;
			d.seconds += v * 3600;
			any_time = true;
			break;
		case 'M':
			if (!in_time)
				return -1;
			d.seconds += v * 60;
			any_time = true;
			break;
		case 'S':
			if (!in_time)
				return -1;
			d.seconds += v;
			any_time = true;
			break;
		default:
			return -1;
		}
		any = true;
		if (d.days > 1000000 || d.seconds > 100000000LL)
			return -1;
	}
	if (!any || (in_time && !any_time))
		return -1;
	*neg_r = neg;
	*d_r = d;
	return 0;
}

static void duration_format(char *buf, size_t size, bool neg, const at_recur_duration *d)
{
	char part[32];
	snprintf(buf, size, "%sP", neg ? "-" : "");
	if (d->days) {
		snprintf(part, sizeof(part), "%dD", d->days);
		strncat(buf, part, size - strlen(buf) - 1);
	}
	if (d->seconds || !d->days) {
		long long s = (long long)d->seconds;
		strncat(buf, "T", size - strlen(buf) - 1);
		if (s >= 3600) {
			snprintf(part, sizeof(part), "%lldH", s / 3600);
			strncat(buf, part, size - strlen(buf) - 1);
		}
		if (s % 3600 >= 60) {
			snprintf(part, sizeof(part), "%lldM", s % 3600 / 60);
			strncat(buf, part, size - strlen(buf) - 1);
		}
		if (s % 60 || s == 0) {
			snprintf(part, sizeof(part), "%lldS", s % 60);
			strncat(buf, part, size - strlen(buf) - 1);
		}
	}
}

/* ---- zones -------------------------------------------------------------- */

/* Windows zone names -> IANA, written for this module from the public CLDR
 * correspondence ("001" territory) for the zones Outlook and Exchange users
 * meet most.  Names not listed stay custom zones (their VTIMEZONE is used). */
static const struct { const char *windows, *iana; } windows_zones[] = {
	{"AUS Central Standard Time", "Australia/Darwin"},
	{"AUS Eastern Standard Time", "Australia/Sydney"},
	{"Afghanistan Standard Time", "Asia/Kabul"},
	{"Alaskan Standard Time", "America/Anchorage"},
	{"Arab Standard Time", "Asia/Riyadh"},
	{"Arabian Standard Time", "Asia/Dubai"},
	{"Argentina Standard Time", "America/Buenos_Aires"},
	{"Atlantic Standard Time", "America/Halifax"},
	{"Azores Standard Time", "Atlantic/Azores"},
	{"Bangladesh Standard Time", "Asia/Dhaka"},
	{"Canada Central Standard Time", "America/Regina"},
	{"Cape Verde Standard Time", "Atlantic/Cape_Verde"},
	{"Cen. Australia Standard Time", "Australia/Adelaide"},
	{"Central America Standard Time", "America/Guatemala"},
	{"Central Europe Standard Time", "Europe/Budapest"},
	{"Central European Standard Time", "Europe/Warsaw"},
	{"Central Standard Time", "America/Chicago"},
	{"Central Standard Time (Mexico)", "America/Mexico_City"},
	{"China Standard Time", "Asia/Shanghai"},
	{"E. Africa Standard Time", "Africa/Nairobi"},
	{"E. Australia Standard Time", "Australia/Brisbane"},
	{"E. Europe Standard Time", "Europe/Chisinau"},
	{"E. South America Standard Time", "America/Sao_Paulo"},
	{"Eastern Standard Time", "America/New_York"},
	{"Egypt Standard Time", "Africa/Cairo"},
	{"Ekaterinburg Standard Time", "Asia/Yekaterinburg"},
	{"FLE Standard Time", "Europe/Kiev"},
	{"Fiji Standard Time", "Pacific/Fiji"},
	{"GMT Standard Time", "Europe/London"},
	{"GTB Standard Time", "Europe/Bucharest"},
	{"Greenwich Standard Time", "Atlantic/Reykjavik"},
	{"Hawaiian Standard Time", "Pacific/Honolulu"},
	{"India Standard Time", "Asia/Calcutta"},
	{"Iran Standard Time", "Asia/Tehran"},
	{"Israel Standard Time", "Asia/Jerusalem"},
	{"Jordan Standard Time", "Asia/Amman"},
	{"Korea Standard Time", "Asia/Seoul"},
	{"Middle East Standard Time", "Asia/Beirut"},
	{"Morocco Standard Time", "Africa/Casablanca"},
	{"Mountain Standard Time", "America/Denver"},
	{"Myanmar Standard Time", "Asia/Rangoon"},
	{"Nepal Standard Time", "Asia/Katmandu"},
	{"New Zealand Standard Time", "Pacific/Auckland"},
	{"Newfoundland Standard Time", "America/St_Johns"},
	{"North Asia Standard Time", "Asia/Krasnoyarsk"},
	{"Pacific SA Standard Time", "America/Santiago"},
	{"Pacific Standard Time", "America/Los_Angeles"},
	{"Pakistan Standard Time", "Asia/Karachi"},
	{"Romance Standard Time", "Europe/Paris"},
	{"Russian Standard Time", "Europe/Moscow"},
	{"SA Pacific Standard Time", "America/Bogota"},
	{"SE Asia Standard Time", "Asia/Bangkok"},
	{"Singapore Standard Time", "Asia/Singapore"},
	{"South Africa Standard Time", "Africa/Johannesburg"},
	{"Syria Standard Time", "Asia/Damascus"},
	{"Taipei Standard Time", "Asia/Taipei"},
	{"Tokyo Standard Time", "Asia/Tokyo"},
	{"Tonga Standard Time", "Pacific/Tongatapu"},
	{"Turkey Standard Time", "Europe/Istanbul"},
	{"US Eastern Standard Time", "America/Indianapolis"},
	{"US Mountain Standard Time", "America/Phoenix"},
	{"UTC", "Etc/UTC"},
	{"Venezuela Standard Time", "America/Caracas"},
	{"W. Australia Standard Time", "Australia/Perth"},
	{"W. Central Africa Standard Time", "Africa/Lagos"},
	{"W. Europe Standard Time", "Europe/Berlin"},
	{"West Asia Standard Time", "Asia/Tashkent"},
};

const char *at_ical_windows_zone(const char *name)
{
	for (size_t i = 0; i < sizeof(windows_zones) / sizeof(windows_zones[0]); i++)
		if (strcmp(windows_zones[i].windows, name) == 0)
			return windows_zones[i].iana;
	return NULL;
}

/* The IANA zone a TZID names, if any: the name itself, the name behind a
 * "/vendor/.../" prefix, or a Windows name. */
static const char *iana_of(const char *tzid)
{
	if (tzid == NULL || tzid[0] == '\0')
		return NULL;
	if (strcmp(tzid, "Z") != 0 && at_recur_zone_known(tzid))
		return tzid;
	const char *w = at_ical_windows_zone(tzid);
	if (w != NULL)
		return w;
	if (tzid[0] == '/') {
		/* "/freeassociation.sourceforge.net/Tzfile/Europe/Paris" */
		const char *s = tzid;
		for (int k = 0; k < 8 && (s = strchr(s + 1, '/')) != NULL; k++)
			if (strchr(s + 1, '/') != NULL && at_recur_zone_known(s + 1))
				return s + 1;
	}
	return NULL;
}

typedef struct zone_entry {
	const char *tzid;          /* as written (unquoted) */
	const char *iana;          /* mapped IANA name, or NULL */
	const at_ical_comp *comp;  /* the VTIMEZONE, NULL for a bare IANA TZID */
	icaltimezone *ical;        /* custom zone, built on first use */
	bool ical_tried;
} zone_entry;

typedef struct conv {
	parser *p;
	vec zones;                 /* zone_entry */
	unsigned n_custom;         /* custom zones built */
} conv;

static void conv_free(conv *c)
{
	for (size_t i = 0; i < c->zones.n; i++) {
		zone_entry *z = &((zone_entry *)c->zones.v)[i];
		if (z->ical != NULL)
			icaltimezone_free(z->ical, 1);
	}
	vec_free(&c->zones);
}

static const at_ical_prop *comp_prop(const at_ical_comp *c, const char *name)
{
	for (size_t i = 0; i < c->n_props; i++)
		if (is_name(c->props[i].name, name))
			return &c->props[i];
	return NULL;
}

static void write_comp(at_buf *out, const at_ical_comp *c);

/* A VTIMEZONE is handed to libical only when its expansion is bounded:
 * few observances, YEARLY rules, a bounded number of RDATEs, sane offsets. */
static bool vtimezone_safe(const at_ical_comp *c)
{
	if (c->n_subs == 0 || c->n_subs > 200)
		return false;
	for (size_t i = 0; i < c->n_subs; i++) {
		const at_ical_comp *o = &c->subs[i];
		if (!is_name(o->name, "STANDARD") && !is_name(o->name, "DAYLIGHT"))
			return false;
		if (o->n_subs > 0 || o->n_props > 2000)
			return false;
		bool has_start = false, has_to = false;
		for (size_t k = 0; k < o->n_props; k++) {
			const at_ical_prop *pr = &o->props[k];
			const char *v = pr->value;
			if (is_name(pr->name, "DTSTART")) {
				at_recur_time t;
				if (at_recur_time_parse(v, &t) < 0 || t.is_date || t.year < 1600)
					return false;
				has_start = true;
			} else if (is_name(pr->name, "TZOFFSETTO") ||
				   is_name(pr->name, "TZOFFSETFROM")) {
				size_t n = strlen(v);
				if ((n != 5 && n != 7) || (v[0] != '+' && v[0] != '-'))
					return false;
				for (size_t j = 1; j < n; j++)
					if (!isdigit((unsigned char)v[j]))
						return false;
				if (parse_2(v + 1) > 23 || parse_2(v + 3) > 59)
					return false;
				has_to |= is_name(pr->name, "TZOFFSETTO");
			} else if (is_name(pr->name, "RRULE")) {
				at_error e;
				if (strncasecmp(v, "FREQ=YEARLY", 11) != 0 ||
				    at_recur_validate(v, &e) < 0)
					return false;
			} else if (is_name(pr->name, "RDATE")) {
				if (strlen(v) > 100000)
					return false;
			}
		}
		if (!has_start || !has_to)
			return false;
	}
	return true;
}

/* libical expands a zone's observances year by year up to the year asked
 * for: custom zones are used for years CUSTOM_FIRST..CUSTOM_LAST only, and
 * at most MAX_CUSTOM_ZONES of them per text. */
#define CUSTOM_FIRST 1600
#define CUSTOM_LAST 2600
#define MAX_CUSTOM_ZONES 32

static icaltimezone *custom_zone(conv *c, zone_entry *z)
{
	if (z->ical_tried)
		return z->ical;
	z->ical_tried = true;
	if (z->comp == NULL || c->n_custom >= MAX_CUSTOM_ZONES || !vtimezone_safe(z->comp))
		return NULL;
	c->n_custom++;
	at_buf b;
	at_buf_init(&b, 0);
	write_comp(&b, z->comp);
	icalcomponent *comp = icalparser_parse_string(b.data);
	at_buf_free(&b);
	if (comp == NULL)
		return NULL;
	if (icalcomponent_isa(comp) != ICAL_VTIMEZONE_COMPONENT) {
		icalcomponent_free(comp);
		return NULL;
	}
	icaltimezone *tz = icaltimezone_new();
	if (tz == NULL || !icaltimezone_set_component(tz, comp)) {
		icalcomponent_free(comp);
		if (tz != NULL)
			icaltimezone_free(tz, 1);
		icalerror_clear_errno();
		return NULL;
	}
	z->ical = tz;
	return tz;
}

static zone_entry *zone_find(conv *c, const char *tzid)
{
	for (size_t i = 0; i < c->zones.n; i++) {
		zone_entry *z = &((zone_entry *)c->zones.v)[i];
		if (strcmp(z->tzid, tzid) == 0)
			return z;
	}
	return NULL;
}

/* Offsets of a custom libical zone, with the gap/overlap rules of recur.c. */
static int custom_offset(icaltimezone *zone, int64_t utc)
{
	struct icaltimetype tt = icaltime_null_time();
	int64_t days = utc >= 0 ? utc / 86400 : -((-utc + 86399) / 86400);
	int64_t rem = utc - days * 86400;
	at_recur_civil_from_days(days, &tt.year, &tt.month, &tt.day);
	tt.hour = (int)(rem / 3600);
	tt.minute = (int)(rem / 60 % 60);
	tt.second = (int)(rem % 60);
	tt.zone = icaltimezone_get_utc_timezone();
	int dst = 0;
	int off = icaltimezone_get_utc_offset_of_utc_time(zone, &tt, &dst);
	return off > 86400 || off < -86400 ? 0 : off;
}

static int64_t custom_to_utc(icaltimezone *zone, int64_t w)
{
	int early = custom_offset(zone, w - 86400), late = custom_offset(zone, w + 86400);
	int64_t u1 = w - early, u2 = w - late;
	bool ok1 = custom_offset(zone, u1) == early, ok2 = custom_offset(zone, u2) == late;
	if (ok1 && ok2)
		return u1 < u2 ? u1 : u2;
	return ok2 ? u2 : u1;
}

/* Parses a DATE or DATE-TIME (VALUE says which, or the length) with its
 * TZID into *t.  Returns -1 on a malformed value. */
static int time_value(conv *c, const char *v, bool want_date, bool want_time,
		      const char *tzid_raw, at_ical_time *t)
{
	at_recur_time rt;
	char date[9];
	if (strlen(v) == 9 && v[8] == 'Z') {
		/* "20131210Z": a date, as Google writes some */
		memcpy(date, v, 8);
		date[8] = '\0';
		v = date;
	}
	if (at_recur_time_parse(v, &rt) < 0)
		return -1;
	if ((want_date && !rt.is_date) || (want_time && rt.is_date))
		return -1;
	if (!rt.is_date && rt.second == 60)
		rt.second = 59;
	t->set = true;
	t->t = rt;
	t->tzid = NULL;
	t->custom_zone = false;
	t->has_utc = false;
	if (rt.is_date)
		return 0;
	if (rt.tzid != NULL) { /* UTC */
		at_recur_to_utc(&rt, NULL, &t->utc, NULL);
		t->has_utc = true;
		return 0;
	}
	if (tzid_raw == NULL)
		return 0;
	const char *tzid = unquote(c->p->arena, tzid_raw);
	t->tzid = tzid;
	zone_entry *z = zone_find(c, tzid);
	const char *iana = z != NULL ? z->iana : iana_of(tzid);
	if (iana != NULL) {
		t->t.tzid = iana;
		if (at_recur_to_utc(&t->t, NULL, &t->utc, NULL) == 0)
			t->has_utc = true;
		return 0;
	}
	if (z != NULL) {
		t->custom_zone = true;
		icaltimezone *tz = t->t.year >= CUSTOM_FIRST && t->t.year <= CUSTOM_LAST
					   ? custom_zone(c, z) : NULL;
		if (tz != NULL) {
			t->utc = custom_to_utc(tz, at_recur_wall_secs(&t->t));
			t->has_utc = true;
		}
	}
	return 0;
}

/* ---- items -------------------------------------------------------------- */

typedef struct item_b {
	at_ical_item it;
	vec rrules, exrules, rdates, exdates, attendees, categories, alarms, other, subs;
} item_b;

static void item_b_init(item_b *b)
{
	memset(b, 0, sizeof(*b));
	b->rrules = VEC(const char *);
	b->exrules = VEC(const char *);
	b->rdates = VEC(at_ical_rdate);
	b->exdates = VEC(at_ical_time);
	b->attendees = VEC(at_ical_attendee);
	b->categories = VEC(const char *);
	b->alarms = VEC(at_ical_alarm);
	b->other = VEC(at_ical_prop);
	b->subs = VEC(at_ical_comp);
}

static void item_b_free(item_b *b)
{
	vec_free(&b->rrules);
	vec_free(&b->exrules);
	vec_free(&b->rdates);
	vec_free(&b->exdates);
	vec_free(&b->attendees);
	vec_free(&b->categories);
	vec_free(&b->alarms);
	vec_free(&b->other);
	vec_free(&b->subs);
}

static void item_b_finish(item_b *b, at_arena *a)
{
	at_ical_item *it = &b->it;
	it->rrules = vec_finish(&b->rrules, a, &it->n_rrules);
	it->exrules = vec_finish(&b->exrules, a, &it->n_exrules);
	it->rdates = vec_finish(&b->rdates, a, &it->n_rdates);
	it->exdates = vec_finish(&b->exdates, a, &it->n_exdates);
	it->attendees = vec_finish(&b->attendees, a, &it->n_attendees);
	it->categories = vec_finish(&b->categories, a, &it->n_categories);
	it->alarms = vec_finish(&b->alarms, a, &it->n_alarms);
	it->other = vec_finish(&b->other, a, &it->n_other);
	it->subs = vec_finish(&b->subs, a, &it->n_subs);
}

/* Sorts pr's parameters: those named in known[] into vals[] (raw; a
 * repeated one makes the property unfit), the others into *extra (or, when
 * extra is NULL, makes the property unfit).  Returns false when unfit. */
static bool params_split(parser *p, const at_ical_prop *pr, const char *const *known,
			 size_t n_known, const char **vals, at_ical_params *extra)
{
	for (size_t k = 0; k < n_known; k++)
		vals[k] = NULL;
	vec ex = VEC(at_ical_param);
	for (size_t i = 0; i < pr->params.n; i++) {
		const at_ical_param *pa = &pr->params.v[i];
		size_t k = 0;
		while (k < n_known && !is_name(pa->name, known[k]))
			k++;
		if (k < n_known) {
			if (vals[k] != NULL) {
				vec_free(&ex);
				return false;
			}
			vals[k] = pa->value;
		} else if (extra == NULL) {
			vec_free(&ex);
			return false;
		} else {
			*(at_ical_param *)vec_push(&ex) = *pa;
		}
	}
	if (extra != NULL)
		extra->v = vec_finish(&ex, p->arena, &extra->n);
	return true;
}

static bool int_value(const char *v, int lo, int hi, int *out)
{
	char *end;
	if (!isdigit((unsigned char)v[0]) && !((v[0] == '+' || v[0] == '-') &&
					       isdigit((unsigned char)v[1])))
		return false;
	long n = strtol(v, &end, 10);
	if (*end != '\0' || n < lo || n > hi)
		return false;
	*out = (int)n;
	return true;
}

enum { K_VALUE, K_TZID, K_RANGE };

/* DTSTART, DTEND, DUE, RECURRENCE-ID, COMPLETED. */
static int time_prop(conv *c, const at_ical_prop *pr, at_ical_time *t, bool strict,
		     bool *fit_r, const char **range_r)
{
	static const char *const known[] = {"VALUE", "TZID", "RANGE"};
	const char *vals[3];
	parser *p = c->p;
	*fit_r = false;
	at_ical_time tmp = {0};
	if (!params_split(p, pr, known, range_r ? 3 : 2, vals, &tmp.extra))
		return 0;
	bool want_date = false, want_time = false;
	if (vals[K_VALUE] != NULL) {
		if (is_name(vals[K_VALUE], "DATE"))
			want_date = true;
		else if (is_name(vals[K_VALUE], "DATE-TIME"))
			want_time = true;
		else
			return strict ? BAD(p, pr->line, "%s: VALUE=%s is not DATE or DATE-TIME",
					    pr->name, vals[K_VALUE]) : 0;
	}
	if (time_value(c, pr->value, want_date, want_time, vals[K_TZID], &tmp) < 0)
		return strict ? BAD(p, pr->line, "%s: \"%.40s\" is not a valid %s", pr->name,
				    pr->value, want_date ? "date" : "date or date-time") : 0;
	if (vals[K_TZID] != NULL && tmp.tzid == NULL) {
		/* A TZID on a UTC time or a date: kept as it was. */
		at_ical_param *v = at_arena_alloc(p->arena, (tmp.extra.n + 1) * sizeof(*v));
		if (tmp.extra.n)
			memcpy(v, tmp.extra.v, tmp.extra.n * sizeof(*v));
		v[tmp.extra.n++] = (at_ical_param){"TZID", vals[K_TZID]};
		tmp.extra.v = v;
	}
	if (range_r != NULL)
		*range_r = vals[K_RANGE];
	*t = tmp;
	*fit_r = true;
	return 0;
}

static bool text_prop(parser *p, const at_ical_prop *pr, at_ical_text *t)
{
	if (t->value != NULL)
		return false;
	params_split(p, pr, NULL, 0, NULL, &t->extra);
	t->value = text_unescape(p->arena, pr->value);
	return true;
}

enum { A_CN, A_PARTSTAT, A_ROLE, A_CUTYPE, A_RSVP, A_COMMENT, A_N };

static bool attendee_prop(parser *p, const at_ical_prop *pr, at_ical_attendee *a)
{
	static const char *const known[A_N] = {"CN", "PARTSTAT", "ROLE", "CUTYPE", "RSVP",
					       "X-RESPONSE-COMMENT"};
	const char *vals[A_N];
	memset(a, 0, sizeof(*a));
	if (!params_split(p, pr, known, A_N, vals, &a->extra))
		return false;
	const char **dst[A_N] = {&a->cn, &a->partstat, &a->role, &a->cutype, &a->rsvp,
				 &a->comment};
	size_t n_extra = a->extra.n;
	for (int k = 0; k < A_N; k++) {
		if (vals[k] == NULL)
			continue;
		if (single_value(vals[k]) && vals[k][0] != '\0') {
			*dst[k] = unquote(p->arena, vals[k]);
		} else {
			/* a list or an empty value: kept as written */
			at_ical_param *v = at_arena_alloc(p->arena, (n_extra + 1) * sizeof(*v));
			if (n_extra)
				memcpy(v, a->extra.v, n_extra * sizeof(*v));
			v[n_extra++] = (at_ical_param){known[k], vals[k]};
			a->extra.v = v;
			a->extra.n = n_extra;
		}
	}
	a->address = pr->value;
	return true;
}

static int rdate_prop(conv *c, const at_ical_prop *pr, item_b *b, bool ex, bool *fit_r)
{
	static const char *const known[] = {"VALUE", "TZID"};
	const char *vals[2];
	parser *p = c->p;
	*fit_r = false;
	if (!params_split(p, pr, known, 2, vals, NULL))
		return 0;
	bool want_date = false, want_time = false, period = false;
	if (vals[K_VALUE] != NULL) {
		if (is_name(vals[K_VALUE], "DATE"))
			want_date = true;
		else if (is_name(vals[K_VALUE], "DATE-TIME"))
			want_time = true;
		else if (is_name(vals[K_VALUE], "PERIOD") && !ex)
			period = true;
		else
			return 0;
	}
	const char **parts;
	size_t n = split_list(p->arena, pr->value, &parts);
	vec tmp = ex ? VEC(at_ical_time) : VEC(at_ical_rdate);
	for (size_t i = 0; i < n; i++) {
		const char *v = parts[i];
		at_ical_rdate rd = {0};
		const char *slash = strchr(v, '/');
		if (period || (slash != NULL && !ex)) {
			if (slash == NULL)
				goto bad;
			char *start = at_arena_strndup(p->arena, v, (size_t)(slash - v));
			if (time_value(c, start, false, false, vals[K_TZID], &rd.start) < 0)
				goto bad;
			bool dates = rd.start.t.is_date;
			rd.has_end = true;
			if (slash[1] == 'P' || slash[1] == '+' || slash[1] == '-') {
				bool neg;
				at_recur_duration d;
				if (duration_parse(slash + 1, &neg, &d) < 0 || neg)
					goto bad;
				int64_t w = at_recur_wall_secs(&rd.start.t) + d.days * 86400LL + d.seconds;
				int64_t days = w >= 0 ? w / 86400 : -((-w + 86399) / 86400);
				at_recur_time e = rd.start.t;
				at_recur_civil_from_days(days, &e.year, &e.month, &e.day);
				w -= days * 86400;
				e.hour = (int)(w / 3600);
				e.minute = (int)(w / 60 % 60);
				e.second = (int)(w % 60);
				if (dates && (d.seconds != 0 || e.hour || e.minute || e.second))
					goto bad;
				char buf[17];
				at_recur_time_format(&e, buf);
				if (time_value(c, buf, dates, !dates, vals[K_TZID], &rd.end) < 0)
					goto bad;
			} else if (time_value(c, slash + 1, dates, !dates, vals[K_TZID], &rd.end) < 0) {
				goto bad;
			}
		} else if (time_value(c, v, want_date, want_time, vals[K_TZID], &rd.start) < 0) {
			goto bad;
		}
		if (ex)
			*(at_ical_time *)vec_push(&tmp) = rd.start;
		else
			*(at_ical_rdate *)vec_push(&tmp) = rd;
		continue;
	bad:
		vec_free(&tmp);
		return BAD(p, pr->line, "%s: \"%.40s\" is not a valid %s", pr->name, v,
			   period ? "period" : want_date ? "date" : "date or date-time");
	}
	vec *dst = ex ? &b->exdates : &b->rdates;
	for (size_t i = 0; i < tmp.n; i++)
		memcpy(vec_push(dst), (char *)tmp.v + i * tmp.size, tmp.size);
	vec_free(&tmp);
	*fit_r = true;
	return 0;
}

static int alarm_comp(conv *c, const at_ical_comp *comp, at_ical_alarm *al)
{
	parser *p = c->p;
	vec other = VEC(at_ical_prop);
	memset(al, 0, sizeof(*al));
	for (size_t i = 0; i < comp->n_props; i++) {
		const at_ical_prop *pr = &comp->props[i];
		bool fit = false;
		if (is_name(pr->name, "ACTION") && al->action == NULL && pr->params.n == 0) {
			al->action = pr->value;
			fit = true;
		} else if (is_name(pr->name, "TRIGGER") && !al->trigger_set) {
			static const char *const known[] = {"VALUE", "RELATED"};
			const char *vals[2];
			at_ical_params extra;
			if (params_split(p, pr, known, 2, vals, &extra)) {
				bool related_end = vals[1] != NULL && is_name(vals[1], "END");
				bool related_ok = vals[1] == NULL || related_end ||
						  is_name(vals[1], "START");
				if (vals[0] != NULL && is_name(vals[0], "DATE-TIME") && vals[1] == NULL) {
					at_ical_time t = {0};
					if (time_value(c, pr->value, false, true, NULL, &t) == 0) {
						al->trigger_absolute = true;
						al->trigger_at = t;
						fit = true;
					}
				} else if ((vals[0] == NULL || is_name(vals[0], "DURATION")) &&
					   related_ok) {
					bool neg;
					at_recur_duration d;
					if (duration_parse(pr->value, &neg, &d) == 0) {
						int64_t s = d.days * 86400LL + d.seconds;
						al->trigger_seconds = neg ? -s : s;
						al->trigger_minutes = (int)(al->trigger_seconds / 60);
						al->related_end = related_end;
						fit = true;
					}
				}
				if (fit) {
					al->trigger_set = true;
					al->trigger_extra = extra;
					if (vals[0] != NULL && !al->trigger_absolute) {
						/* an explicit VALUE=DURATION is kept */
						at_ical_param *v = at_arena_alloc(
						    p->arena, (extra.n + 1) * sizeof(*v));
						if (extra.n)
							memcpy(v, extra.v, extra.n * sizeof(*v));
						v[extra.n] = (at_ical_param){"VALUE", vals[0]};
						al->trigger_extra.v = v;
						al->trigger_extra.n = extra.n + 1;
					}
					if (vals[1] != NULL && !related_end) {
						size_t n = al->trigger_extra.n;
						at_ical_param *v = at_arena_alloc(p->arena,
										  (n + 1) * sizeof(*v));
						if (n)
							memcpy(v, al->trigger_extra.v, n * sizeof(*v));
						v[n] = (at_ical_param){"RELATED", vals[1]};
						al->trigger_extra.v = v;
						al->trigger_extra.n = n + 1;
					}
				}
			}
		}
		if (!fit)
			*(at_ical_prop *)vec_push(&other) = *pr;
	}
	al->other = vec_finish(&other, p->arena, &al->n_other);
	al->subs = comp->subs;
	al->n_subs = comp->n_subs;
	return 0;
}

static int item_comp(conv *c, const at_ical_comp *comp, at_ical_kind kind, item_b *b)
{
	parser *p = c->p;
	at_ical_item *it = &b->it;
	it->kind = kind;
	it->line = comp->line;
	bool event = kind == AT_ICAL_EVENT;
	for (size_t i = 0; i < comp->n_props; i++) {
		const at_ical_prop *pr = &comp->props[i];
		const char *n = pr->name;
		bool fit = false;
		if (is_name(n, "UID")) {
			if (it->uid == NULL && pr->params.n == 0) {
				it->uid = text_unescape(p->arena, pr->value);
				fit = true;
			}
		} else if (is_name(n, "SUMMARY")) {
			fit = text_prop(p, pr, &it->summary);
		} else if (is_name(n, "LOCATION")) {
			fit = text_prop(p, pr, &it->location);
		} else if (is_name(n, "DESCRIPTION")) {
			fit = text_prop(p, pr, &it->description);
		} else if (is_name(n, "DTSTART") || (event && is_name(n, "DTEND")) ||
			   (!event && is_name(n, "DUE"))) {
			at_ical_time *t = is_name(n, "DTSTART") ? &it->dtstart
					  : event ? &it->dtend : &it->due;
			if (!t->set && time_prop(c, pr, t, true, &fit, NULL) < 0)
				return -1;
		} else if (is_name(n, "RECURRENCE-ID")) {
			const char *range = NULL;
			if (!it->recurrence_id.set &&
			    time_prop(c, pr, &it->recurrence_id, true, &fit, &range) < 0)
				return -1;
			if (fit && range != NULL) {
				if (is_name(range, "THISANDFUTURE"))
					it->this_and_future = true;
				else {
					fit = false;
					memset(&it->recurrence_id, 0, sizeof(it->recurrence_id));
				}
			}
		} else if (!event && is_name(n, "COMPLETED")) {
			if (!it->completed.set && time_prop(c, pr, &it->completed, false, &fit, NULL) < 0)
				return -1;
		} else if (is_name(n, "DURATION")) {
			if (!it->has_duration && pr->params.n == 0) {
				if (duration_parse(pr->value, &it->duration_negative, &it->duration) < 0)
					return BAD(p, pr->line, "DURATION: \"%.40s\" is not a valid "
						   "duration", pr->value);
				it->has_duration = fit = true;
			}
		} else if (is_name(n, "RRULE") || is_name(n, "EXRULE")) {
			if (pr->params.n == 0) {
				at_error e;
				if (at_recur_validate(pr->value, &e) < 0)
					return BAD(p, pr->line, "%s: %s", n, e.message);
				*(const char **)vec_push(is_name(n, "RRULE") ? &b->rrules : &b->exrules) =
				    pr->value;
				fit = true;
			}
		} else if (is_name(n, "RDATE") || is_name(n, "EXDATE")) {
			if (rdate_prop(c, pr, b, is_name(n, "EXDATE"), &fit) < 0)
				return -1;
		} else if (is_name(n, "ORGANIZER")) {
			if (!it->has_organizer && attendee_prop(p, pr, &it->organizer))
				it->has_organizer = fit = true;
		} else if (is_name(n, "ATTENDEE")) {
			at_ical_attendee a;
			if (attendee_prop(p, pr, &a)) {
				*(at_ical_attendee *)vec_push(&b->attendees) = a;
				fit = true;
			}
		} else if (is_name(n, "CATEGORIES")) {
			if (pr->params.n == 0) {
				const char **parts;
				size_t k = split_list(p->arena, pr->value, &parts);
				for (size_t j = 0; j < k; j++)
					*(const char **)vec_push(&b->categories) =
					    text_unescape(p->arena, parts[j]);
				fit = true;
			}
		} else if (is_name(n, "CLASS") || is_name(n, "TRANSP") || is_name(n, "STATUS")) {
			const char **dst = is_name(n, "CLASS") ? &it->klass
					   : is_name(n, "TRANSP") ? &it->transp : &it->status;
			if (*dst == NULL && pr->params.n == 0 && pr->value[0] != '\0') {
				*dst = pr->value;
				fit = true;
			}
		} else if (is_name(n, "PRIORITY")) {
			if (!it->has_priority && pr->params.n == 0 &&
			    int_value(pr->value, 0, 9, &it->priority))
				it->has_priority = fit = true;
		} else if (!event && is_name(n, "PERCENT-COMPLETE")) {
			if (!it->has_percent && pr->params.n == 0 &&
			    int_value(pr->value, 0, 100, &it->percent_complete))
				it->has_percent = fit = true;
		} else if (is_name(n, "SEQUENCE")) {
			if (!it->has_sequence && pr->params.n == 0 &&
			    int_value(pr->value, 0, INT_MAX, &it->sequence))
				it->has_sequence = fit = true;
		}
		if (!fit)
			*(at_ical_prop *)vec_push(&b->other) = *pr;
	}
	it->all_day = it->dtstart.set && it->dtstart.t.is_date;
	for (size_t i = 0; i < comp->n_subs; i++) {
		const at_ical_comp *s = &comp->subs[i];
		if (is_name(s->name, "VALARM")) {
			if (alarm_comp(c, s, vec_push(&b->alarms)) < 0)
				return -1;
		} else {
			*(at_ical_comp *)vec_push(&b->subs) = *s;
		}
	}
	return 0;
}

/* ---- calendar ----------------------------------------------------------- */

typedef struct cal_b {
	at_ical_calendar *cal;
	vec props, items, zones, others;
	bool version_seen;
} cal_b;

static void collect_zones(conv *c, const at_ical_comp *comps, size_t n, cal_b *cb,
			  bool in_calendar)
{
	for (size_t i = 0; i < n; i++) {
		const at_ical_comp *comp = &comps[i];
		if (is_name(comp->name, "VCALENDAR") && !in_calendar) {
			collect_zones(c, comp->subs, comp->n_subs, cb, true);
			continue;
		}
		if (!is_name(comp->name, "VTIMEZONE"))
			continue;
		const at_ical_prop *tz = comp_prop(comp, "TZID");
		if (tz == NULL || tz->value[0] == '\0' || zone_find(c, tz->value) != NULL)
			continue; /* kept verbatim with the other components */
		zone_entry *z = vec_push(&c->zones);
		z->tzid = tz->value;
		z->comp = comp;
		z->iana = iana_of(tz->value);
		if (z->iana == NULL) {
			const at_ical_prop *loc = comp_prop(comp, "X-LIC-LOCATION");
			if (loc != NULL)
				z->iana = iana_of(loc->value);
		}
		at_ical_zone *out = vec_push(&cb->zones);
		out->tzid = z->tzid;
		out->iana = z->iana;
		out->vtimezone = comp;
	}
}

static bool is_zone_entry(conv *c, const at_ical_comp *comp)
{
	for (size_t i = 0; i < c->zones.n; i++)
		if (((zone_entry *)c->zones.v)[i].comp == comp)
			return true;
	return false;
}

static int calendar_comps(conv *c, const at_ical_comp *comps, size_t n, cal_b *cb,
			  bool in_calendar)
{
	parser *p = c->p;
	for (size_t i = 0; i < n; i++) {
		const at_ical_comp *comp = &comps[i];
		if (is_name(comp->name, "VCALENDAR") && !in_calendar) {
			for (size_t k = 0; k < comp->n_props; k++) {
				const at_ical_prop *pr = &comp->props[k];
				if (is_name(pr->name, "VERSION") && pr->params.n == 0) {
					if (strcmp(pr->value, "1.0") == 0)
						return BAD(p, pr->line, "vCalendar 1.0 is not supported "
							   "(VERSION:2.0 expected)");
					if (strcmp(pr->value, "2.0") == 0)
						continue;
				}
				if (is_name(pr->name, "PRODID") && cb->cal->prodid == NULL &&
				    pr->params.n == 0) {
					/* Ours means "written by Atrium": NULL, as when new. */
					if (strcmp(pr->value, AT_ICAL_PRODID) != 0)
						cb->cal->prodid = pr->value;
					continue;
				}
				if (is_name(pr->name, "METHOD") && cb->cal->method == NULL &&
				    pr->params.n == 0) {
					cb->cal->method = pr->value;
					continue;
				}
				*(at_ical_prop *)vec_push(&cb->props) = *pr;
			}
			if (calendar_comps(c, comp->subs, comp->n_subs, cb, true) < 0)
				return -1;
			continue;
		}
		bool event = is_name(comp->name, "VEVENT"), todo = is_name(comp->name, "VTODO");
		if (event || todo) {
			item_b b;
			item_b_init(&b);
			if (item_comp(c, comp, event ? AT_ICAL_EVENT : AT_ICAL_TODO, &b) < 0) {
				item_b_free(&b);
				return -1;
			}
			item_b_finish(&b, p->arena);
			*(at_ical_item *)vec_push(&cb->items) = b.it;
			continue;
		}
		if (is_name(comp->name, "VTIMEZONE")) {
			/* Zones in use, and repeated definitions of IANA zones
			 * (regenerated from tzdata when written), are not
			 * components of their own. */
			const at_ical_prop *tz = comp_prop(comp, "TZID");
			if (is_zone_entry(c, comp))
				continue;
			if (tz != NULL) {
				zone_entry *z = zone_find(c, tz->value);
				if (z != NULL && z->iana != NULL)
					continue;
			}
		}
		*(at_ical_comp *)vec_push(&cb->others) = *comp;
	}
	return 0;
}

/* Overridden instances go with their master (same UID, no RECURRENCE-ID). */
static void group_overrides(at_arena *arena, at_ical_item *items, size_t *n_r)
{
	size_t n = *n_r;
	size_t *master = malloc((n + 1) * sizeof(*master));
	size_t *count = calloc(n + 1, sizeof(*count));
	if (master == NULL || count == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		master[i] = SIZE_MAX;
		if (!items[i].recurrence_id.set || items[i].uid == NULL)
			continue;
		for (size_t j = 0; j < n; j++)
			if (!items[j].recurrence_id.set && items[j].uid != NULL &&
			    items[j].kind == items[i].kind &&
			    strcmp(items[j].uid, items[i].uid) == 0) {
				master[i] = j;
				count[j]++;
				break;
			}
	}
	for (size_t j = 0; j < n; j++)
		if (count[j] > 0) {
			items[j].overrides = at_arena_alloc(arena, count[j] * sizeof(at_ical_item));
			items[j].n_overrides = 0;
		}
	for (size_t i = 0; i < n; i++)
		if (master[i] != SIZE_MAX) {
			at_ical_item *m = &items[master[i]];
			m->overrides[m->n_overrides++] = items[i];
		}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (master[i] == SIZE_MAX)
			items[k++] = items[i];
	*n_r = k;
	free(master);
	free(count);
}

static const at_ical_limits default_limits = {
	DEF_MAX_BYTES, DEF_MAX_LINE, DEF_MAX_COMPONENTS, DEF_MAX_PROPERTIES,
	DEF_MAX_PARAMS, DEF_MAX_DEPTH,
};

int at_ical_parse(const char *text, size_t len, const at_ical_limits *limits,
		  at_arena *arena, at_ical_calendar **cal_r, unsigned *line_r,
		  at_error *err)
{
	parser p = {arena, default_limits, err, 0, 0, 0};
	if (limits != NULL) {
		if (limits->max_bytes)
			p.lim.max_bytes = limits->max_bytes;
		if (limits->max_line)
			p.lim.max_line = limits->max_line;
		if (limits->max_components)
			p.lim.max_components = limits->max_components;
		if (limits->max_properties)
			p.lim.max_properties = limits->max_properties;
		if (limits->max_params)
			p.lim.max_params = limits->max_params;
		if (limits->max_depth)
			p.lim.max_depth = limits->max_depth;
	}
	conv c = {&p, VEC(zone_entry), 0};
	cal_b cb = {NULL, VEC(at_ical_prop), VEC(at_ical_item), VEC(at_ical_zone),
		    VEC(at_ical_comp), false};
	int rc = -1;
	*cal_r = NULL;
	if (line_r != NULL)
		*line_r = 0;
	if (len > p.lim.max_bytes) {
		LIMIT(&p, 1, "the text is longer than %zu bytes (limit maxBytes)",
		      p.lim.max_bytes);
		goto done;
	}
	at_ical_comp *top;
	size_t n_top;
	if (lex(&p, text, len, &top, &n_top) < 0)
		goto done;
	cb.cal = at_arena_alloc(arena, sizeof(*cb.cal));
	collect_zones(&c, top, n_top, &cb, false);
	if (calendar_comps(&c, top, n_top, &cb, false) < 0)
		goto done;
	at_ical_calendar *cal = cb.cal;
	cal->props = vec_finish(&cb.props, arena, &cal->n_props);
	cal->items = vec_finish(&cb.items, arena, &cal->n_items);
	cal->zones = vec_finish(&cb.zones, arena, &cal->n_zones);
	cal->others = vec_finish(&cb.others, arena, &cal->n_others);
	group_overrides(arena, cal->items, &cal->n_items);
	*cal_r = cal;
	rc = 0;
done:
	if (rc < 0 && line_r != NULL)
		*line_r = p.err_line;
	vec_free(&cb.props);
	vec_free(&cb.items);
	vec_free(&cb.zones);
	vec_free(&cb.others);
	conv_free(&c);
	icalerror_clear_errno();
	return rc;
}

/* ---- writer ------------------------------------------------------------- */

/* Writes one content line folded at 75 octets, never inside a UTF-8
 * sequence. */
static void put_folded(at_buf *out, const char *line, size_t len)
{
	size_t i = 0, width = 75;
	while (len - i > width) {
		size_t cut = i + width;
		while (cut > i + 1 && ((unsigned char)line[cut] & 0xC0) == 0x80)
			cut--;
		at_buf_append(out, line + i, cut - i);
		at_buf_puts(out, "\r\n ");
		i = cut;
		width = 74;
	}
	at_buf_append(out, line + i, len - i);
	at_buf_puts(out, "\r\n");
}

typedef struct line {
	at_buf b;
} line;

static void ln_start(line *l, const char *name)
{
	at_buf_truncate(&l->b, 0);
	at_buf_puts(&l->b, name);
}

static void ln_end(line *l, at_buf *out)
{
	put_folded(out, l->b.data, l->b.len);
}

static void ln_param_raw(line *l, const char *name, const char *value)
{
	at_buf_putc(&l->b, ';');
	at_buf_puts(&l->b, name);
	at_buf_putc(&l->b, '=');
	at_buf_puts(&l->b, value);
}

/* A single parameter value, quoted when it must be. */
static void ln_param(line *l, const char *name, const char *value)
{
	at_buf_putc(&l->b, ';');
	at_buf_puts(&l->b, name);
	at_buf_putc(&l->b, '=');
	bool quote = value[0] == '\0' || strpbrk(value, ",;:") != NULL;
	if (quote)
		at_buf_putc(&l->b, '"');
	for (const char *s = value; *s; s++)
		if (*s != '"')
			at_buf_putc(&l->b, *s);
	if (quote)
		at_buf_putc(&l->b, '"');
}

static void ln_params(line *l, const at_ical_params *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		ln_param_raw(l, ps->v[i].name, ps->v[i].value);
}

static void ln_text(line *l, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': at_buf_puts(&l->b, "\\\\"); break;
		case ';': at_buf_puts(&l->b, "\\;"); break;
		case ',': at_buf_puts(&l->b, "\\,"); break;
		case '\n': at_buf_puts(&l->b, "\\n"); break;
		case '\r': break;
		default: at_buf_putc(&l->b, *s);
		}
	}
}

static void write_prop(at_buf *out, line *l, const at_ical_prop *pr)
{
	ln_start(l, pr->name);
	ln_params(l, &pr->params);
	at_buf_putc(&l->b, ':');
	at_buf_puts(&l->b, pr->value);
	ln_end(l, out);
}

static void write_comp_l(at_buf *out, line *l, const at_ical_comp *c)
{
	at_buf_printf(out, "BEGIN:%s\r\n", c->name);
	for (size_t i = 0; i < c->n_props; i++)
		write_prop(out, l, &c->props[i]);
	for (size_t i = 0; i < c->n_subs; i++)
		write_comp_l(out, l, &c->subs[i]);
	at_buf_printf(out, "END:%s\r\n", c->name);
}

static void write_comp(at_buf *out, const at_ical_comp *c)
{
	line l;
	at_buf_init(&l.b, 0);
	write_comp_l(out, &l, c);
	at_buf_free(&l.b);
}

static bool utc_name(const char *z)
{
	return z != NULL && (strcmp(z, "UTC") == 0 || strcmp(z, "Etc/UTC") == 0 ||
			     strcmp(z, "GMT") == 0 || strcmp(z, "Etc/GMT") == 0);
}

/* The value of a time, and its VALUE/TZID parameters. */
static void ln_time_params(line *l, const at_ical_time *t)
{
	if (t->t.is_date)
		at_buf_puts(&l->b, ";VALUE=DATE");
	else if (utc_name(t->t.tzid))
		;
	else if (t->t.tzid != NULL)
		ln_param(l, "TZID", t->t.tzid);
	else if (t->tzid != NULL)
		ln_param(l, "TZID", t->tzid);
}

static void ln_time_value(line *l, const at_ical_time *t)
{
	at_recur_time v = t->t;
	if (utc_name(v.tzid))
		v.tzid = "UTC";
	else
		v.tzid = NULL;
	char buf[17];
	at_recur_time_format(&v, buf);
	at_buf_puts(&l->b, buf);
}

static void write_time(at_buf *out, line *l, const char *name, const at_ical_time *t)
{
	if (!t->set)
		return;
	ln_start(l, name);
	ln_time_params(l, t);
	ln_params(l, &t->extra);
	at_buf_putc(&l->b, ':');
	ln_time_value(l, t);
	ln_end(l, out);
}

static void write_text(at_buf *out, line *l, const char *name, const at_ical_text *t)
{
	if (t->value == NULL)
		return;
	ln_start(l, name);
	ln_params(l, &t->extra);
	at_buf_putc(&l->b, ':');
	ln_text(l, t->value);
	ln_end(l, out);
}

static void write_token(at_buf *out, line *l, const char *name, const char *v)
{
	if (v == NULL)
		return;
	ln_start(l, name);
	at_buf_putc(&l->b, ':');
	at_buf_puts(&l->b, v);
	ln_end(l, out);
}

static void write_attendee(at_buf *out, line *l, const char *name, const at_ical_attendee *a)
{
	ln_start(l, name);
	if (a->cutype)
		ln_param(l, "CUTYPE", a->cutype);
	if (a->role)
		ln_param(l, "ROLE", a->role);
	if (a->partstat)
		ln_param(l, "PARTSTAT", a->partstat);
	if (a->rsvp)
		ln_param(l, "RSVP", a->rsvp);
	if (a->cn)
		ln_param(l, "CN", a->cn);
	if (a->comment)
		ln_param(l, "X-RESPONSE-COMMENT", a->comment);
	ln_params(l, &a->extra);
	at_buf_putc(&l->b, ':');
	at_buf_puts(&l->b, a->address);
	ln_end(l, out);
}

static void write_alarm(at_buf *out, line *l, const at_ical_alarm *al)
{
	at_buf_puts(out, "BEGIN:VALARM\r\n");
	write_token(out, l, "ACTION", al->action);
	if (al->trigger_set) {
		ln_start(l, "TRIGGER");
		if (al->trigger_absolute)
			at_buf_puts(&l->b, ";VALUE=DATE-TIME");
		if (al->related_end)
			at_buf_puts(&l->b, ";RELATED=END");
		ln_params(l, &al->trigger_extra);
		at_buf_putc(&l->b, ':');
		if (al->trigger_absolute) {
			ln_time_value(l, &al->trigger_at);
		} else {
			char d[64];
			int64_t s = al->trigger_seconds;
			at_recur_duration du = {0, s < 0 ? -s : s};
			duration_format(d, sizeof(d), s < 0, &du);
			at_buf_puts(&l->b, d);
		}
		ln_end(l, out);
	}
	for (size_t i = 0; i < al->n_other; i++)
		write_prop(out, l, &al->other[i]);
	for (size_t i = 0; i < al->n_subs; i++)
		write_comp_l(out, l, &al->subs[i]);
	at_buf_puts(out, "END:VALARM\r\n");
}

static void write_item(at_buf *out, line *l, const at_ical_item *it)
{
	const char *kind = it->kind == AT_ICAL_TODO ? "VTODO" : "VEVENT";
	at_buf_printf(out, "BEGIN:%s\r\n", kind);
	if (it->uid != NULL) {
		ln_start(l, "UID:");
		ln_text(l, it->uid);
		ln_end(l, out);
	}
	write_time(out, l, "DTSTART", &it->dtstart);
	write_time(out, l, "DTEND", &it->dtend);
	write_time(out, l, "DUE", &it->due);
	if (it->has_duration) {
		char d[64];
		duration_format(d, sizeof(d), it->duration_negative, &it->duration);
		write_token(out, l, "DURATION", d);
	}
	if (it->recurrence_id.set) {
		ln_start(l, "RECURRENCE-ID");
		ln_time_params(l, &it->recurrence_id);
		if (it->this_and_future)
			at_buf_puts(&l->b, ";RANGE=THISANDFUTURE");
		ln_params(l, &it->recurrence_id.extra);
		at_buf_putc(&l->b, ':');
		ln_time_value(l, &it->recurrence_id);
		ln_end(l, out);
	}
	for (size_t i = 0; i < it->n_rrules; i++)
		write_token(out, l, "RRULE", it->rrules[i]);
	for (size_t i = 0; i < it->n_exrules; i++)
		write_token(out, l, "EXRULE", it->exrules[i]);
	for (size_t i = 0; i < it->n_rdates; i++) {
		const at_ical_rdate *rd = &it->rdates[i];
		ln_start(l, "RDATE");
		if (rd->has_end) {
			at_buf_puts(&l->b, ";VALUE=PERIOD");
			if (rd->start.t.tzid != NULL && !utc_name(rd->start.t.tzid))
				ln_param(l, "TZID", rd->start.t.tzid);
			else if (rd->start.t.tzid == NULL && rd->start.tzid != NULL)
				ln_param(l, "TZID", rd->start.tzid);
		} else {
			ln_time_params(l, &rd->start);
		}
		at_buf_putc(&l->b, ':');
		ln_time_value(l, &rd->start);
		if (rd->has_end) {
			at_buf_putc(&l->b, '/');
			ln_time_value(l, &rd->end);
		}
		ln_end(l, out);
	}
	for (size_t i = 0; i < it->n_exdates; i++)
		write_time(out, l, "EXDATE", &it->exdates[i]);
	write_text(out, l, "SUMMARY", &it->summary);
	write_text(out, l, "LOCATION", &it->location);
	write_text(out, l, "DESCRIPTION", &it->description);
	write_token(out, l, "CLASS", it->klass);
	write_token(out, l, "TRANSP", it->transp);
	write_token(out, l, "STATUS", it->status);
	char num[16];
	if (it->has_priority) {
		snprintf(num, sizeof(num), "%d", it->priority);
		write_token(out, l, "PRIORITY", num);
	}
	if (it->has_percent) {
		snprintf(num, sizeof(num), "%d", it->percent_complete);
		write_token(out, l, "PERCENT-COMPLETE", num);
	}
	write_time(out, l, "COMPLETED", &it->completed);
	if (it->has_sequence) {
		snprintf(num, sizeof(num), "%d", it->sequence);
		write_token(out, l, "SEQUENCE", num);
	}
	if (it->n_categories > 0) {
		ln_start(l, "CATEGORIES:");
		for (size_t i = 0; i < it->n_categories; i++) {
			if (i)
				at_buf_putc(&l->b, ',');
			ln_text(l, it->categories[i]);
		}
		ln_end(l, out);
	}
	if (it->has_organizer)
		write_attendee(out, l, "ORGANIZER", &it->organizer);
	for (size_t i = 0; i < it->n_attendees; i++)
		write_attendee(out, l, "ATTENDEE", &it->attendees[i]);
	for (size_t i = 0; i < it->n_other; i++)
		write_prop(out, l, &it->other[i]);
	for (size_t i = 0; i < it->n_alarms; i++)
		write_alarm(out, l, &it->alarms[i]);
	for (size_t i = 0; i < it->n_subs; i++)
		write_comp_l(out, l, &it->subs[i]);
	at_buf_printf(out, "END:%s\r\n", kind);
	for (size_t i = 0; i < it->n_overrides; i++)
		write_item(out, l, &it->overrides[i]);
}

/* IANA zones used by the calendar, with the earliest wall time of each. */
typedef struct zone_use {
	const char *iana;
	int64_t first;
} zone_use;

static void use_time(vec *uses, const at_ical_time *t)
{
	if (!t->set || t->t.is_date || t->t.tzid == NULL || utc_name(t->t.tzid))
		return;
	int64_t w = at_recur_wall_secs(&t->t);
	for (size_t i = 0; i < uses->n; i++) {
		zone_use *u = &((zone_use *)uses->v)[i];
		if (strcmp(u->iana, t->t.tzid) == 0) {
			if (w < u->first)
				u->first = w;
			return;
		}
	}
	zone_use *u = vec_push(uses);
	u->iana = t->t.tzid;
	u->first = w;
}

static void use_item(vec *uses, const at_ical_item *it)
{
	use_time(uses, &it->dtstart);
	use_time(uses, &it->dtend);
	use_time(uses, &it->due);
	use_time(uses, &it->recurrence_id);
	use_time(uses, &it->completed);
	for (size_t i = 0; i < it->n_rdates; i++) {
		use_time(uses, &it->rdates[i].start);
		use_time(uses, &it->rdates[i].end);
	}
	for (size_t i = 0; i < it->n_exdates; i++)
		use_time(uses, &it->exdates[i]);
	for (size_t i = 0; i < it->n_alarms; i++)
		use_time(uses, &it->alarms[i].trigger_at);
	for (size_t i = 0; i < it->n_overrides; i++)
		use_item(uses, &it->overrides[i]);
}

/* A VTIMEZONE for an IANA zone from libical (system tzdata), from a year
 * before its first use on, with the plain IANA name as TZID. */
static void write_iana_zone(at_buf *out, const zone_use *u)
{
	if (!at_recur_zone_known(u->iana)) /* also sets libical up */
		return;
	icaltimezone *z = icaltimezone_get_builtin_timezone(u->iana);
	if (z == NULL)
		return;
	icalcomponent *comp = icaltimezone_get_component(z);
	if (comp == NULL)
		return;
	icalcomponent *vtz = icalcomponent_new_clone(comp);
	if (vtz == NULL)
		return;
	struct icaltimetype start = icaltime_null_time();
	int y, m, d;
	int64_t days = u->first >= 0 ? u->first / 86400 : -((-u->first + 86399) / 86400);
	at_recur_civil_from_days(days, &y, &m, &d);
	start.year = y > 1 ? y - 1 : 1;
	start.month = 1;
	start.day = 1;
	start.zone = icaltimezone_get_utc_timezone();
	icaltimezone_truncate_vtimezone(vtz, start, icaltime_null_time(), 0);
	char *txt = icalcomponent_as_ical_string_r(vtz);
	icalcomponent_free(vtz);
	icalerror_clear_errno();
	if (txt == NULL)
		return;
	/* Re-read with our own lexer to set the TZID and fold our way. */
	at_arena *a = at_arena_new(0);
	parser p = {a, default_limits, NULL, 0, 0, 0};
	at_error e;
	p.err = &e;
	at_ical_comp *top;
	size_t n;
	if (lex(&p, txt, strlen(txt), &top, &n) == 0 && n == 1) {
		for (size_t i = 0; i < top->n_props; i++)
			if (is_name(top->props[i].name, "TZID"))
				top->props[i].value = u->iana;
		write_comp(out, top);
	}
	at_arena_free(&a);
	free(txt);
}

void at_ical_item_lines(const at_ical_item *item, at_buf *out)
{
	at_ical_item one = *item;
	one.n_overrides = 0;
	const char *kind = one.kind == AT_ICAL_TODO ? "VTODO" : "VEVENT";
	at_buf text;
	line l;
	at_buf_init(&text, 0);
	at_buf_init(&l.b, 0);
	write_item(&text, &l, &one);
	at_buf_free(&l.b);
	/* "BEGIN:KIND\r\n" LINES "END:KIND\r\n", LINES ending in CRLF */
	size_t head = strlen(kind) + 8, tail = strlen(kind) + 6;
	if (text.data != NULL && text.len >= head + tail) {
		const char *s = text.data + head, *e = text.data + text.len - tail;
		for (const char *p = s; p < e; p++) {
			if (p[0] == '\r' && p[1] == '\n' && p + 2 < e && p[2] == ' ') {
				p += 2;  /* a folded line goes on */
				continue;
			}
			if (p[0] == '\r' && p[1] == '\n') {
				if (p + 2 < e)
					at_buf_putc(out, '\n');
				p++;
				continue;
			}
			at_buf_putc(out, *p);
		}
	}
	at_buf_free(&text);
}

int at_ical_write(const at_ical_calendar *cal, at_buf *out, at_error *err)
{
	line l;
	at_buf_init(&l.b, 0);
	vec uses = VEC(zone_use);
	at_buf_puts(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
	write_token(out, &l, "PRODID", cal->prodid ? cal->prodid : AT_ICAL_PRODID);
	write_token(out, &l, "METHOD", cal->method);
	for (size_t i = 0; i < cal->n_props; i++)
		write_prop(out, &l, &cal->props[i]);
	for (size_t i = 0; i < cal->n_items; i++)
		use_item(&uses, &cal->items[i]);
	for (size_t i = 0; i < uses.n; i++)
		write_iana_zone(out, &((zone_use *)uses.v)[i]);
	for (size_t i = 0; i < cal->n_zones; i++)
		if (cal->zones[i].iana == NULL)
			write_comp_l(out, &l, cal->zones[i].vtimezone);
	for (size_t i = 0; i < cal->n_items; i++)
		write_item(out, &l, &cal->items[i]);
	for (size_t i = 0; i < cal->n_others; i++)
		write_comp_l(out, &l, &cal->others[i]);
	at_buf_puts(out, "END:VCALENDAR\r\n");
	vec_free(&uses);
	at_buf_free(&l.b);
	if (out->overflow)
		return at_error_set(err, AT_E_LIMIT, AT_SCOPE_ITEM, AT_RETRY_FINAL, FIELD,
				    "the iCalendar text is longer than %zu bytes", out->max);
	return 0;
}

/* ---- dump --------------------------------------------------------------- */

static void dump_params(at_buf *o, const at_ical_params *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		at_buf_printf(o, ";%s=%s", ps->v[i].name, ps->v[i].value);
}

static void dump_time(at_buf *o, const char *ind, const char *name, const at_ical_time *t)
{
	if (!t->set)
		return;
	char buf[17];
	at_recur_time v = t->t;
	v.tzid = NULL;
	at_recur_time_format(&v, buf);
	at_buf_printf(o, "%s%s: %s", ind, name, buf);
	if (t->t.is_date)
		at_buf_puts(o, " date");
	else if (utc_name(t->t.tzid))
		at_buf_puts(o, " UTC");
	else if (t->t.tzid != NULL)
		at_buf_printf(o, " zone=%s", t->t.tzid);
	else if (t->tzid != NULL)
		at_buf_printf(o, " %s=%s", t->custom_zone ? "custom" : "unknown", t->tzid);
	else
		at_buf_puts(o, " floating");
	if (t->has_utc)
		at_buf_printf(o, " utc=%lld", (long long)t->utc);
	dump_params(o, &t->extra);
	at_buf_putc(o, '\n');
}

static void dump_str(at_buf *o, const char *ind, const char *name, const char *v)
{
	if (v != NULL)
		at_buf_printf(o, "%s%s: %s\n", ind, name, v);
}

static void dump_text(at_buf *o, const char *ind, const char *name, const at_ical_text *t)
{
	if (t->value == NULL)
		return;
	at_buf_printf(o, "%s%s", ind, name);
	dump_params(o, &t->extra);
	at_buf_puts(o, ": ");
	for (const char *s = t->value; *s; s++)
		if (*s == '\n')
			at_buf_puts(o, "\\n");
		else
			at_buf_putc(o, *s);
	at_buf_putc(o, '\n');
}

static void dump_prop(at_buf *o, const char *ind, const char *what, const at_ical_prop *p)
{
	at_buf_printf(o, "%s%s %s", ind, what, p->name);
	dump_params(o, &p->params);
	at_buf_printf(o, ":%s\n", p->value);
}

static void dump_comp(at_buf *o, int depth, const at_ical_comp *c)
{
	char ind[40];
	snprintf(ind, sizeof(ind), "%*s", depth * 2, "");
	at_buf_printf(o, "%scomponent %s\n", ind, c->name);
	for (size_t i = 0; i < c->n_props; i++)
		dump_prop(o, ind, " prop", &c->props[i]);
	for (size_t i = 0; i < c->n_subs; i++)
		dump_comp(o, depth + 1, &c->subs[i]);
}

static void dump_attendee(at_buf *o, const char *ind, const char *what,
			  const at_ical_attendee *a)
{
	at_buf_printf(o, "%s%s %s cn=%s partstat=%s role=%s cutype=%s rsvp=%s comment=%s",
		      ind, what, a->address, a->cn ? a->cn : "-",
		      a->partstat ? a->partstat : "-", a->role ? a->role : "-",
		      a->cutype ? a->cutype : "-", a->rsvp ? a->rsvp : "-",
		      a->comment ? a->comment : "-");
	dump_params(o, &a->extra);
	at_buf_putc(o, '\n');
}

static void dump_item(at_buf *o, const at_ical_item *it, const char *ind)
{
	at_buf_printf(o, "%s%s\n", ind, it->kind == AT_ICAL_TODO ? "todo" : "event");
	dump_str(o, ind, " uid", it->uid);
	dump_text(o, ind, " summary", &it->summary);
	dump_text(o, ind, " location", &it->location);
	dump_text(o, ind, " description", &it->description);
	dump_time(o, ind, " dtstart", &it->dtstart);
	dump_time(o, ind, " dtend", &it->dtend);
	dump_time(o, ind, " due", &it->due);
	if (it->all_day)
		at_buf_printf(o, "%s all-day\n", ind);
	if (it->has_duration)
		at_buf_printf(o, "%s duration: %s%dd %llds\n", ind,
			      it->duration_negative ? "-" : "", it->duration.days,
			      (long long)it->duration.seconds);
	for (size_t i = 0; i < it->n_rrules; i++)
		dump_str(o, ind, " rrule", it->rrules[i]);
	for (size_t i = 0; i < it->n_exrules; i++)
		dump_str(o, ind, " exrule", it->exrules[i]);
	for (size_t i = 0; i < it->n_rdates; i++) {
		dump_time(o, ind, " rdate", &it->rdates[i].start);
		if (it->rdates[i].has_end)
			dump_time(o, ind, " rdate-end", &it->rdates[i].end);
	}
	for (size_t i = 0; i < it->n_exdates; i++)
		dump_time(o, ind, " exdate", &it->exdates[i]);
	dump_time(o, ind, " recurrence-id", &it->recurrence_id);
	if (it->this_and_future)
		at_buf_printf(o, "%s range: this and future\n", ind);
	if (it->has_organizer)
		dump_attendee(o, ind, " organizer", &it->organizer);
	for (size_t i = 0; i < it->n_attendees; i++)
		dump_attendee(o, ind, " attendee", &it->attendees[i]);
	for (size_t i = 0; i < it->n_categories; i++)
		dump_str(o, ind, " category", it->categories[i]);
	dump_str(o, ind, " class", it->klass);
	dump_str(o, ind, " transp", it->transp);
	dump_str(o, ind, " status", it->status);
	if (it->has_priority)
		at_buf_printf(o, "%s priority: %d\n", ind, it->priority);
	if (it->has_percent)
		at_buf_printf(o, "%s percent-complete: %d\n", ind, it->percent_complete);
	dump_time(o, ind, " completed", &it->completed);
	if (it->has_sequence)
		at_buf_printf(o, "%s sequence: %d\n", ind, it->sequence);
	for (size_t i = 0; i < it->n_alarms; i++) {
		const at_ical_alarm *al = &it->alarms[i];
		at_buf_printf(o, "%s alarm action=%s", ind, al->action ? al->action : "-");
		if (al->trigger_set && al->trigger_absolute) {
			at_buf_puts(o, "\n");
			dump_time(o, ind, "  trigger-at", &al->trigger_at);
		} else if (al->trigger_set) {
			at_buf_printf(o, " trigger=%llds (%d min) related=%s",
				      (long long)al->trigger_seconds, al->trigger_minutes,
				      al->related_end ? "end" : "start");
		}
		dump_params(o, &al->trigger_extra);
		at_buf_putc(o, '\n');
		for (size_t k = 0; k < al->n_other; k++)
			dump_prop(o, ind, "  prop", &al->other[k]);
		for (size_t k = 0; k < al->n_subs; k++)
			dump_comp(o, 2, &al->subs[k]);
	}
	for (size_t i = 0; i < it->n_other; i++)
		dump_prop(o, ind, " prop", &it->other[i]);
	for (size_t i = 0; i < it->n_subs; i++)
		dump_comp(o, 1, &it->subs[i]);
	for (size_t i = 0; i < it->n_overrides; i++)
		dump_item(o, &it->overrides[i], "  override ");
}

void at_ical_dump(const at_ical_calendar *cal, at_buf *out)
{
	dump_str(out, "", "prodid", cal->prodid);
	dump_str(out, "", "method", cal->method);
	for (size_t i = 0; i < cal->n_props; i++)
		dump_prop(out, "", "calendar-prop", &cal->props[i]);
	for (size_t i = 0; i < cal->n_zones; i++)
		if (cal->zones[i].iana == NULL) {
			at_buf_printf(out, "custom zone %s\n", cal->zones[i].tzid);
			dump_comp(out, 1, cal->zones[i].vtimezone);
		}
	for (size_t i = 0; i < cal->n_items; i++)
		dump_item(out, &cal->items[i], "");
	for (size_t i = 0; i < cal->n_others; i++)
		dump_comp(out, 0, &cal->others[i]);
}

/* ---- series ------------------------------------------------------------- */

static int series_time(const at_ical_time *t, const char *field, at_recur_time *r,
		       at_error *err)
{
	if (!t->t.is_date && t->t.tzid == NULL && t->tzid != NULL) {
		at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL, field,
			     "%s: time zone \"%.64s\" is not an IANA zone", field, t->tzid);
		if (err != NULL)
			at_error_scrub(err);
		return -1;
	}
	*r = t->t;
	if (utc_name(r->tzid))
		r->tzid = "UTC";
	return 0;
}

/* start + d: days on the wall clock, seconds on the time line. */
static int add_duration(const at_recur_time *start, const at_recur_duration *d,
			at_recur_time *end_r, at_error *err)
{
	at_recur_time e = *start;
	int64_t days = at_recur_days_from_civil(e.year, e.month, e.day) + d->days;
	at_recur_civil_from_days(days, &e.year, &e.month, &e.day);
	if (d->seconds != 0 && !e.is_date) {
		int64_t u;
		if (at_recur_to_utc(&e, NULL, &u, err) < 0 ||
		    at_recur_from_utc(u + d->seconds, e.tzid, &e, err) < 0)
			return -1;
	}
	*end_r = e;
	return at_recur_time_check(&e, "end", err);
}

/* The length of an item: DURATION, or DTEND/DUE - DTSTART, or a day for
 * an all-day event, or nothing. */
static int item_duration(const at_ical_item *it, const at_recur_time *start,
			 at_recur_duration *d, at_error *err)
{
	const at_ical_time *end = it->kind == AT_ICAL_TODO ? &it->due : &it->dtend;
	memset(d, 0, sizeof(*d));
	if (it->has_duration && !it->duration_negative) {
		*d = it->duration;
	} else if (end->set) {
		at_recur_time e;
		int64_t a, b;
		if (series_time(end, "dtend", &e, err) < 0)
			return -1;
		if (start->is_date && e.is_date) {
			int64_t n = at_recur_days_from_civil(e.year, e.month, e.day) -
				    at_recur_days_from_civil(start->year, start->month, start->day);
			d->days = n > 0 && n < 3660 ? (int)n : 0;
		} else if (at_recur_to_utc(start, NULL, &a, NULL) == 0 &&
			   at_recur_to_utc(&e, NULL, &b, NULL) == 0 && b > a &&
			   b - a < 3660 * 86400LL) {
			d->seconds = b - a;
		}
	} else if (start->is_date && it->kind == AT_ICAL_EVENT) {
		d->days = 1;
	}
	return 0;
}

int at_ical_item_series(const at_ical_item *it, at_arena *arena, at_recur_series *s,
			at_error *err)
{
	memset(s, 0, sizeof(*s));
	if (!it->dtstart.set)
		return at_error_set(err, AT_E_INVALID_FIELD, AT_SCOPE_ITEM, AT_RETRY_FINAL,
				    "dtstart", "the item has no DTSTART");
	if (series_time(&it->dtstart, "dtstart", &s->dtstart, err) < 0 ||
	    item_duration(it, &s->dtstart, &s->duration, err) < 0)
		return -1;
	s->rrule = it->n_rrules > 0 ? it->rrules[0] : NULL;
	s->exrules = it->exrules;
	s->n_exrules = it->n_exrules;
	if (it->n_rdates > 0) {
		at_recur_rdate *rd = at_arena_alloc(arena, it->n_rdates * sizeof(*rd));
		for (size_t i = 0; i < it->n_rdates; i++) {
			if (series_time(&it->rdates[i].start, "rdate", &rd[i].start, err) < 0)
				return -1;
			rd[i].has_end = it->rdates[i].has_end;
			if (rd[i].has_end &&
			    series_time(&it->rdates[i].end, "rdate", &rd[i].end, err) < 0)
				return -1;
		}
		s->rdates = rd;
		s->n_rdates = it->n_rdates;
	}
	if (it->n_exdates > 0) {
		at_recur_time *ex = at_arena_alloc(arena, it->n_exdates * sizeof(*ex));
		for (size_t i = 0; i < it->n_exdates; i++)
			if (series_time(&it->exdates[i], "exdate", &ex[i], err) < 0)
				return -1;
		s->exdates = ex;
		s->n_exdates = it->n_exdates;
	}
	if (it->n_overrides > 0) {
		at_recur_override *ov = at_arena_alloc(arena, it->n_overrides * sizeof(*ov));
		for (size_t i = 0; i < it->n_overrides; i++) {
			const at_ical_item *o = &it->overrides[i];
			if (series_time(&o->recurrence_id, "recurrenceId", &ov[i].recurrence_id,
					err) < 0)
				return -1;
			ov[i].cancelled = o->status != NULL && is_name(o->status, "CANCELLED");
			if (!o->dtstart.set)
				ov[i].start = ov[i].recurrence_id;
			else if (series_time(&o->dtstart, "dtstart", &ov[i].start, err) < 0)
				return -1;
			at_recur_duration d;
			const at_ical_time *end = o->kind == AT_ICAL_TODO ? &o->due : &o->dtend;
			if (!end->set && !o->has_duration)
				d = s->duration; /* the series' length */
			else if (item_duration(o, &ov[i].start, &d, err) < 0)
				return -1;
			if (add_duration(&ov[i].start, &d, &ov[i].end, err) < 0)
				return -1;
		}
		s->overrides = ov;
		s->n_overrides = it->n_overrides;
	}
	return 0;
}
