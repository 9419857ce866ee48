/*
 * `ts-runc-init --check-plan`: read an encoded plan (the bytes encodePlan() in
 * src/plan/encode.ts produces, without the PLAN message header) from stdin, decode every
 * step with the decoder the real run uses (decode.c and the table in steps.c), and print
 * one JSON object per step on stdout, without running any step:
 *
 *   {"op":"mkdir","path":"/dev/pts","mode":493}
 *
 * Strings and lists of strings as JSON strings; integers as numbers; unsigned 64-bit
 * fields (rlimits) as decimal strings, since JSON numbers lose precision above 2^53;
 * capability lists as the ascending capability numbers of the mask the step gets.
 * A step that does not decode is reported on stderr and makes the exit status 1.
 * test/unit/init-check-plan.test.ts uses it to check the encoder and this decoder agree.
 */
#include "init.h"

static void put_string(const char *text)
{
	putchar('"');
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c < 0x20)
			printf("\\u%04x", *c);
		else
			putchar(*c);
	}
	putchar('"');
}

static void put_value(enum field_kind kind, const struct value *v)
{
	switch (kind) {
	case FIELD_STR:
		put_string(v->str);
		break;
	case FIELD_INT:
		printf("%lld", v->num);
		break;
	case FIELD_U64:
		printf("\"%llu\"", v->u64);
		break;
	case FIELD_STR_LIST:
		putchar('[');
		for (size_t i = 0; v->strs[i]; i++) {
			if (i)
				putchar(',');
			put_string(v->strs[i]);
		}
		putchar(']');
		break;
	case FIELD_INT_LIST:
		putchar('[');
		for (uint32_t i = 0; i < v->count; i++)
			printf("%s%lld", i ? "," : "", v->ints[i]);
		putchar(']');
		break;
	case FIELD_CAP_LIST: {
		bool first = true;
		putchar('[');
		for (int cap = 0; cap < 64; cap++) {
			if (v->caps & (1ULL << cap)) {
				printf("%s%d", first ? "" : ",", cap);
				first = false;
			}
		}
		putchar(']');
		break;
	}
	}
}

int check_plan(void)
{
	size_t len = 0, cap = 65536;
	uint8_t *payload = malloc(cap);
	for (ssize_t n = 1; payload && n > 0;) {
		if (len == cap)
			payload = realloc(payload, cap *= 2);
		if (!payload)
			break;
		n = read(STDIN_FILENO, payload + len, cap - len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n < 0) {
			dprintf(STDERR_FILENO, "ts-runc-init --check-plan: read stdin: %s\n", strerror(errno));
			return 1;
		} else
			len += n;
	}
	if (!payload || len > UINT32_MAX)
		abort();

	struct fields *steps;
	uint32_t nsteps;
	if (decode_plan(payload, len, &steps, &nsteps) < 0) {
		dprintf(STDERR_FILENO, "ts-runc-init --check-plan: malformed plan (%zu bytes)\n", len);
		return 1;
	}
	for (uint32_t i = 0; i < nsteps; i++) {
		const struct op *op;
		struct value v[MAX_STEP_FIELDS];
		if (decode_step(&steps[i], &op, v) < 0) {
			fflush(stdout);
			dprintf(STDERR_FILENO, "ts-runc-init --check-plan: step %u (%s): %s\n", i,
				steps[i].item[0], failure.message);
			return 1;
		}
		printf("{\"op\":");
		put_string(op->name);
		for (int f = 0; f < MAX_STEP_FIELDS && op->field[f].name; f++) {
			printf(",\"%s\":", op->field[f].name);
			put_value(op->field[f].kind, &v[f]);
		}
		printf("}\n");
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
