/*
 * Decoding one plan step: its fields, in the order of stepFields() in src/plan/encode.ts,
 * as its op's entry in the table of steps.c lists them. The same decoder serves the real
 * run (run_plan) and --check-plan, so what check-plan shows is what a step would get.
 */
#include "init.h"

/* The fields of one step, read in order by decode_step(). `bad` is set when a field is
 * missing or not a number; decode_step() checks it before the step runs. */
struct args {
	const struct fields *fields;
	uint32_t next;
	bool bad;
};

static const char *arg_str(struct args *a)
{
	if (a->next >= a->fields->count) {
		a->bad = true;
		return "";
	}
	return a->fields->item[a->next++];
}

static long long arg_int(struct args *a)
{
	const char *text = arg_str(a);
	char *end;
	errno = 0;
	long long value = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno)
		a->bad = true;
	return value;
}

static unsigned long long arg_u64(struct args *a)
{
	const char *text = arg_str(a);
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (*text == '\0' || *text == '-' || *end != '\0' || errno)
		a->bad = true;
	return value;
}

/* A list is a count field, then one field per item. */
static uint32_t arg_count(struct args *a)
{
	long long n = arg_int(a);
	if (n < 0 || n > a->fields->count - a->next) {
		a->bad = true;
		return 0;
	}
	return n;
}

/* A list of strings, NULL-terminated as execve(2) wants argv and envp. */
static char **arg_str_list(struct args *a)
{
	uint32_t n = arg_count(a);
	char **list = calloc(n + 1, sizeof *list);
	if (!list)
		abort(); /* out of memory while decoding a few kilobytes: nothing sensible left */
	for (uint32_t i = 0; i < n; i++)
		list[i] = (char *)arg_str(a);
	return list;
}

static long long *arg_int_list(struct args *a, uint32_t *count)
{
	*count = arg_count(a);
	long long *list = calloc(*count + 1, sizeof *list);
	if (!list)
		abort();
	for (uint32_t i = 0; i < *count; i++)
		list[i] = arg_int(a);
	return list;
}

/* A list of capability numbers (capabilities(7)) as a 64-bit mask. */
static uint64_t arg_cap_list(struct args *a)
{
	uint32_t n = 0;
	long long *caps = arg_int_list(a, &n);
	uint64_t mask = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (caps[i] < 0 || caps[i] > 63)
			a->bad = true;
		else
			mask |= 1ULL << caps[i];
	}
	free(caps);
	return mask;
}

/* All fields read and well-formed? The encoder and this decoder must agree exactly. */
static bool args_ok(struct args *a, const char *op)
{
	if (a->bad || a->next != a->fields->count) {
		fail(EINVAL, "malformed %s step in the plan (%u fields)", op, a->fields->count);
		return false;
	}
	return true;
}

/* The op named by field 0, and every field after it decoded into v[]. Every field is read
 * and checked (args_ok) before the step touches anything. */
int decode_step(const struct fields *step, const struct op **op, struct value v[MAX_STEP_FIELDS])
{
	const char *name = step->item[0];
	*op = find_op(name);
	if (!*op)
		return fail(EINVAL, "unknown step \"%s\" in the plan", name);
	struct args a = { .fields = step, .next = 1 };
	memset(v, 0, MAX_STEP_FIELDS * sizeof *v);
	for (int i = 0; i < MAX_STEP_FIELDS && (*op)->field[i].name; i++) {
		switch ((*op)->field[i].kind) {
		case FIELD_STR:
			v[i].str = arg_str(&a);
			break;
		case FIELD_INT:
			v[i].num = arg_int(&a);
			break;
		case FIELD_U64:
			v[i].u64 = arg_u64(&a);
			break;
		case FIELD_STR_LIST:
			v[i].strs = arg_str_list(&a);
			break;
		case FIELD_INT_LIST:
			v[i].ints = arg_int_list(&a, &v[i].count);
			break;
		case FIELD_CAP_LIST:
			v[i].caps = arg_cap_list(&a);
			break;
		}
	}
	return args_ok(&a, name) ? 0 : -1;
}
