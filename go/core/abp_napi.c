// abp_napi: the Node-API face of asherah-bun-core.node. The preload loads it
// with process.dlopen before it installs any hook: no bun:ffi trampoline of
// this package's own exists any more (Bun 1.0.36 could make one
// non-executable under an application's own bun:ffi use; issue 11).
//
// Every function returns names, not numbers: the result, statistic, warmup
// error and state names come from the X-macro lists in abp.h, and
// src/core.ts's types are tested against that header
// (test/unit/core-abi.test.ts). Node-API 6: what Bun 1.0.36 and later serve.
#define NAPI_VERSION 6
#include <node_api.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abp.h"

#define CHECK(call)                                                                 \
	do {                                                                            \
		if ((call) != napi_ok) {                                                    \
			napi_throw_error(env, "ABP_NAPI", "asherah-bun-core: " #call " failed"); \
			return NULL;                                                            \
		}                                                                           \
	} while (0)

static const char *result_name(int32_t result) {
#define ABP_CASE(name, value, text) \
	case value: return text;
	switch (result) {
		ABP_RESULTS(ABP_CASE)
	default: return "unknown";
	}
#undef ABP_CASE
}

static const char *warmup_error_name(int32_t error) {
#define ABP_CASE(name, value, text) \
	case value: return text;
	switch (error) {
		ABP_WARMUP_ERRORS(ABP_CASE)
	default: return "unknown";
	}
#undef ABP_CASE
}

static const char *warmup_state_name(int32_t state) {
#define ABP_CASE(name, value, text) \
	case value: return text;
	switch (state) {
		ABP_WARMUP_STATES(ABP_CASE)
	default: return "unknown";
	}
#undef ABP_CASE
}

static napi_value string(napi_env env, const char *text) {
	napi_value out;
	if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out) != napi_ok) return NULL;
	return out;
}

static napi_value number(napi_env env, double value) {
	napi_value out;
	if (napi_create_double(env, value, &out) != napi_ok) return NULL;
	return out;
}

static napi_value boolean(napi_env env, int value) {
	napi_value out;
	if (napi_get_boolean(env, value != 0, &out) != napi_ok) return NULL;
	return out;
}

static napi_value result(napi_env env, int32_t code) { return string(env, result_name(code)); }

static int set(napi_env env, napi_value object, const char *key, napi_value value) {
	return value != NULL && napi_set_named_property(env, object, key, value) == napi_ok;
}

// Reads up to `want` arguments; missing ones stay undefined.
static int args(napi_env env, napi_callback_info cb, size_t want, napi_value *argv) {
	size_t argc = want;
	return napi_get_cb_info(env, cb, &argc, argv, NULL, NULL) == napi_ok;
}

static int arg_int(napi_env env, napi_value value, int32_t *out) {
	if (napi_get_value_int32(env, value, out) == napi_ok) return 1;
	napi_throw_type_error(env, "ABP_ARG", "asherah-bun-core: expected a number");
	return 0;
}

// An optional flag: true only for the boolean true; anything else (missing, undefined) is false.
static bool arg_flag(napi_env env, napi_value value) {
	bool flag = false;
	napi_valuetype type;
	if (napi_typeof(env, value, &type) == napi_ok && type == napi_boolean) napi_get_value_bool(env, value, &flag);
	return flag;
}

static int arg_string(napi_env env, napi_value value, char *buf, size_t size) {
	size_t len = 0;
	if (napi_get_value_string_utf8(env, value, buf, size, &len) != napi_ok) {
		napi_throw_type_error(env, "ABP_ARG", "asherah-bun-core: expected a string");
		return 0;
	}
	if (len >= size - 1) {
		napi_throw_range_error(env, "ABP_ARG", "asherah-bun-core: string too long");
		return 0;
	}
	return 1;
}

static napi_value signals_array(napi_env env, uint64_t mask) {
	napi_value out;
	CHECK(napi_create_array(env, &out));
	uint32_t n = 0;
	for (int sig = 1; sig < 64; sig++) {
		if (mask & ((uint64_t)1 << sig)) CHECK(napi_set_element(env, out, n++, number(env, sig)));
	}
	return out;
}

static int mask_of(napi_env env, napi_value array, uint64_t *mask) {
	uint32_t length = 0;
	*mask = 0;
	if (napi_get_array_length(env, array, &length) != napi_ok) {
		napi_throw_type_error(env, "ABP_ARG", "asherah-bun-core: expected an array of signal numbers");
		return 0;
	}
	for (uint32_t i = 0; i < length; i++) {
		napi_value item;
		int32_t sig;
		if (napi_get_element(env, array, i, &item) != napi_ok || !arg_int(env, item, &sig)) return 0;
		if (sig > 0 && sig < 64) *mask |= (uint64_t)1 << sig;
	}
	return 1;
}

// ---- signals -------------------------------------------------------------------

static napi_value js_snapshot(napi_env env, napi_callback_info cb) {
	(void)cb;
	return result(env, abp_snapshot());
}

static napi_value js_go_runtime_count(napi_env env, napi_callback_info cb) {
	(void)cb;
	return number(env, abp_go_runtime_count());
}

// query(signal, "live" | "snapshot") → {handler, flags} | undefined
static napi_value js_query(napi_env env, napi_callback_info cb) {
	napi_value argv[2];
	int32_t sig, which;
	if (!args(env, cb, 2, argv) || !arg_int(env, argv[0], &sig) || !arg_int(env, argv[1], &which)) return NULL;
	uint64_t out[2];
	napi_value undefined, object;
	CHECK(napi_get_undefined(env, &undefined));
	if (abp_query(sig, which, out) != ABP_UNCHANGED) return undefined;
	char handler[32];
	if (out[0] == 0) snprintf(handler, sizeof handler, "SIG_DFL");
	else if (out[0] == 1) snprintf(handler, sizeof handler, "SIG_IGN");
	else snprintf(handler, sizeof handler, "0x%llx", (unsigned long long)out[0]);
	CHECK(napi_create_object(env, &object));
	if (!set(env, object, "handler", string(env, handler)) || !set(env, object, "flags", number(env, (double)out[1]))) return NULL;
	return object;
}

// The one argument of the functions that take a signal number.
static int signal_arg(napi_env env, napi_callback_info cb, int32_t *sig) {
	napi_value argv[1];
	return args(env, cb, 1, argv) && arg_int(env, argv[0], sig);
}

static napi_value js_restore_flags(napi_env env, napi_callback_info cb) {
	int32_t sig;
	return signal_arg(env, cb, &sig) ? result(env, abp_restore_flags(sig)) : NULL;
}

static napi_value js_restore_disposition(napi_env env, napi_callback_info cb) {
	int32_t sig;
	return signal_arg(env, cb, &sig) ? result(env, abp_restore_disposition(sig)) : NULL;
}

// fn(path) → "go" | "none" | "not-loaded": waitGoRuntime and hasGoRuntime.
static napi_value go_runtime_answer(napi_env env, napi_callback_info cb, int32_t (*fn)(const char *)) {
	napi_value argv[1];
	char path[PATH_MAX];
	if (!args(env, cb, 1, argv) || !arg_string(env, argv[0], path, sizeof path)) return NULL;
	int32_t code = fn(path);
	return string(env, code == 1 ? "go" : code == 0 ? "none" : result_name(code));
}

static napi_value js_wait_go_runtime(napi_env env, napi_callback_info cb) { return go_runtime_answer(env, cb, abp_wait_go_runtime); }

static napi_value js_has_go_runtime(napi_env env, napi_callback_info cb) { return go_runtime_answer(env, cb, abp_has_go_runtime); }

static napi_value js_wait_all_go_runtimes(napi_env env, napi_callback_info cb) {
	(void)cb;
	return number(env, abp_wait_all_go_runtimes());
}

static napi_value js_handler_owner(napi_env env, napi_callback_info cb) {
	napi_value argv[2];
	int32_t sig, which;
	if (!args(env, cb, 2, argv) || !arg_int(env, argv[0], &sig) || !arg_int(env, argv[1], &which)) return NULL;
	char owner[PATH_MAX];
	abp_handler_owner(sig, which, owner, sizeof owner);
	return string(env, owner);
}

static napi_value js_register_thread(napi_env env, napi_callback_info cb) {
	(void)cb;
	return result(env, abp_register_thread());
}

static napi_value js_wrap_suspend_handler(napi_env env, napi_callback_info cb) {
	int32_t sig;
	return signal_arg(env, cb, &sig) ? result(env, abp_wrap_suspend_handler(sig)) : NULL;
}

static napi_value js_is_wrapped(napi_env env, napi_callback_info cb) {
	int32_t sig;
	return signal_arg(env, cb, &sig) ? boolean(env, abp_wrap_query(sig) == 1) : NULL;
}

static napi_value js_wrap_stats(napi_env env, napi_callback_info cb) {
	(void)cb;
	uint64_t stats[ABP_STAT_COUNT];
	abp_wrap_stats(stats);
	napi_value object;
	CHECK(napi_create_object(env, &object));
#define ABP_SET(name, text) \
	if (!set(env, object, text, number(env, (double)stats[name]))) return NULL;
	ABP_STATS(ABP_SET)
#undef ABP_SET
	return object;
}

// setRepairPlan(restoreFlags: number[], restoreDisposition: number[])
static napi_value js_set_repair_plan(napi_env env, napi_callback_info cb) {
	napi_value argv[2];
	uint64_t flags, dispositions;
	if (!args(env, cb, 2, argv) || !mask_of(env, argv[0], &flags) || !mask_of(env, argv[1], &dispositions)) return NULL;
	abp_set_repair_plan(flags, dispositions);
	napi_value undefined;
	CHECK(napi_get_undefined(env, &undefined));
	return undefined;
}

// repairNow() → the signals it changed
static napi_value js_repair_now(napi_env env, napi_callback_info cb) {
	(void)cb;
	return signals_array(env, abp_repair_now(NULL));
}

// [{signal, handler, flags}] for each signal in mask, from before[sig].
static napi_value disposition_list(napi_env env, uint64_t mask, const uint64_t before[64][2]) {
	napi_value out;
	CHECK(napi_create_array(env, &out));
	uint32_t n = 0;
	for (int sig = 1; sig < 64; sig++) {
		if (!(mask & ((uint64_t)1 << sig))) continue;
		napi_value item;
		char handler[32];
		uint64_t h = before[sig][0];
		if (h == 0) snprintf(handler, sizeof handler, "SIG_DFL");
		else if (h == 1) snprintf(handler, sizeof handler, "SIG_IGN");
		else snprintf(handler, sizeof handler, "0x%llx", (unsigned long long)h);
		CHECK(napi_create_object(env, &item));
		if (!set(env, item, "signal", number(env, sig)) || !set(env, item, "handler", string(env, handler)) ||
		    !set(env, item, "flags", number(env, (double)before[sig][1])))
			return NULL;
		CHECK(napi_set_element(env, out, n++, item));
	}
	return out;
}

// repairLater(trigger): the wait and the repair on the core's repair thread, for this environment.
static napi_value js_repair_later(napi_env env, napi_callback_info cb) {
	napi_value argv[1];
	char trigger[PATH_MAX];
	if (!args(env, cb, 1, argv) || !arg_string(env, argv[0], trigger, sizeof trigger)) return NULL;
	return result(env, abp_repair_later(trigger, (uint64_t)(uintptr_t)env));
}

// repairTake(wait) → [{trigger, goRuntimes, changed, before}]: this environment's finished repairs.
static napi_value js_repair_take(napi_env env, napi_callback_info cb) {
	napi_value argv[1];
	if (!args(env, cb, 1, argv)) return NULL;
	bool wait = arg_flag(env, argv[0]);
	abp_repair_settle(wait ? 5000 : 0);
	struct abp_repair_record taken[4]; // ~5 KB of stack
	napi_value out;
	CHECK(napi_create_array(env, &out));
	uint32_t n = 0;
	for (;;) {
		int32_t got = abp_repair_take((uint64_t)(uintptr_t)env, taken, (int32_t)(sizeof taken / sizeof *taken));
		for (int32_t i = 0; i < got; i++) {
			napi_value item;
			CHECK(napi_create_object(env, &item));
			if (!set(env, item, "trigger", string(env, taken[i].trigger)) || !set(env, item, "goRuntimes", number(env, taken[i].go_runtimes)) ||
			    !set(env, item, "changed", signals_array(env, taken[i].changed)) ||
			    !set(env, item, "before", disposition_list(env, taken[i].changed, taken[i].before)))
				return NULL;
			CHECK(napi_set_element(env, out, n++, item));
		}
		if (got < (int32_t)(sizeof taken / sizeof *taken)) break;
	}
	return out;
}

// ---- warmup ----------------------------------------------------------------------

// warmupStart(path, graceMs)
static napi_value js_warmup_start(napi_env env, napi_callback_info cb) {
	napi_value argv[3];
	char path[PATH_MAX];
	char core_sha256[80];
	int32_t grace;
	if (!args(env, cb, 3, argv) || !arg_string(env, argv[0], path, sizeof path) || !arg_int(env, argv[1], &grace) ||
	    !arg_string(env, argv[2], core_sha256, sizeof core_sha256))
		return NULL;
	return result(env, abp_warmup_start(path, grace, core_sha256));
}

// warmupInfo(wait: boolean) → {state, error, message, sha256, verifyMicros, dlopenMicros, callMicros, repaired}
static napi_value js_warmup_info(napi_env env, napi_callback_info cb) {
	napi_value argv[1];
	if (!args(env, cb, 1, argv)) return NULL;
	bool wait = arg_flag(env, argv[0]);
	struct abp_warmup_info info;
	abp_warmup_info(&info, wait);
	napi_value object;
	CHECK(napi_create_object(env, &object));
	if (!set(env, object, "state", string(env, warmup_state_name(info.state))) ||
	    !set(env, object, "error", string(env, warmup_error_name(info.error))) || !set(env, object, "message", string(env, info.message)) ||
	    !set(env, object, "sha256", string(env, info.sha256)) || !set(env, object, "verifyMicros", number(env, (double)info.verify_us)) ||
	    !set(env, object, "dlopenMicros", number(env, (double)info.dlopen_us)) ||
	    !set(env, object, "callMicros", number(env, (double)info.call_us)) || !set(env, object, "repaired", signals_array(env, info.repaired_mask)))
		return NULL;
	// repairedBefore: [{signal, handler, flags}] for each repaired signal
	if (!set(env, object, "repairedBefore", disposition_list(env, info.repaired_mask, info.repaired_before))) return NULL;
	return object;
}

// checkPathSafe(path) → "" when safe, else why not
static napi_value js_check_path_safe(napi_env env, napi_callback_info cb) {
	napi_value argv[1];
	char path[PATH_MAX];
	if (!args(env, cb, 1, argv) || !arg_string(env, argv[0], path, sizeof path)) return NULL;
	char why[PATH_MAX + 128];
	return string(env, abp_check_path_safe(path, why, sizeof why) == 0 ? "" : why);
}

// readText(path, maxBytes) → the file as UTF-8 text. Refuses, without
// blocking, anything but a regular file of at most maxBytes: package.json
// files are read through this at start (no node:fs, which costs ~4.5 ms).
static napi_value js_read_text(napi_env env, napi_callback_info cb) {
	napi_value argv[2];
	char path[PATH_MAX];
	int32_t max;
	if (!args(env, cb, 2, argv) || !arg_string(env, argv[0], path, sizeof path) || !arg_int(env, argv[1], &max)) return NULL;
	char why[PATH_MAX + 128];
	size_t length = 0;
	char *text = abp_read_text(path, max < 0 ? 0 : (uint32_t)max, &length, why, sizeof why);
	if (text == NULL) {
		napi_throw_error(env, "ABP_READ", why);
		return NULL;
	}
	napi_value out;
	napi_status status = napi_create_string_utf8(env, text, length, &out);
	free(text);
	CHECK(status);
	return out;
}

// elfSpan(path) → {size, needed}: the file's size and the bytes its ELF
// headers say the loader reads (needed 0: not a 64-bit little-endian ELF
// file), or why it could not be measured. A guarded addon cut short is
// refused before dlopen maps it (src/fast-load.ts truncatedNative).
static napi_value js_elf_span(napi_env env, napi_callback_info cb) {
	napi_value argv[1];
	char path[PATH_MAX];
	if (!args(env, cb, 1, argv) || !arg_string(env, argv[0], path, sizeof path)) return NULL;
	char why[PATH_MAX + 128];
	uint64_t size = 0, needed = 0;
	if (abp_elf_span(path, &size, &needed, why, sizeof why) != 0) return string(env, why);
	napi_value object;
	CHECK(napi_create_object(env, &object));
	if (!set(env, object, "size", number(env, (double)size)) || !set(env, object, "needed", number(env, (double)needed))) return NULL;
	return object;
}

// selfSha256() → the sha256 of the file this core was loaded from
static napi_value js_self_sha256(napi_env env, napi_callback_info cb) {
	(void)cb;
	char hex[65], why[PATH_MAX + 128];
	if (abp_self_sha256(hex, why, sizeof why) != 0) {
		napi_throw_error(env, "ABP_READ", why);
		return NULL;
	}
	return string(env, hex);
}

// ---- watchdog --------------------------------------------------------------------

// watchdogArm(ms, what) → watch id (number > 0) or a result name
static napi_value js_watchdog_arm(napi_env env, napi_callback_info cb) {
	napi_value argv[2];
	int32_t ms;
	char what[1024];
	if (!args(env, cb, 2, argv) || !arg_int(env, argv[0], &ms) || !arg_string(env, argv[1], what, sizeof what)) return NULL;
	int64_t id = abp_watchdog_arm(ms, what);
	return id > 0 ? number(env, (double)id) : result(env, (int32_t)id);
}

static napi_value js_watchdog_disarm(napi_env env, napi_callback_info cb) {
	napi_value argv[1];
	double id;
	if (!args(env, cb, 1, argv) || napi_get_value_double(env, argv[0], &id) != napi_ok) return NULL;
	return result(env, abp_watchdog_disarm((int64_t)id));
}

// ---- the dlopen interposer ---------------------------------------------------------

// interpose(warmupPath, packages, warmupMode, watchdogMs, keepExec) → result name
static napi_value js_interpose(napi_env env, napi_callback_info cb) {
	napi_value argv[5];
	char path[PATH_MAX], mode[16];
	int32_t watchdog;
	uint32_t count = 0;
	if (!args(env, cb, 5, argv) || !arg_string(env, argv[0], path, sizeof path) || !arg_string(env, argv[2], mode, sizeof mode) ||
	    !arg_int(env, argv[3], &watchdog))
		return NULL;
	if (napi_get_array_length(env, argv[1], &count) != napi_ok || count > 32) {
		napi_throw_type_error(env, "ABP_ARG", "asherah-bun-core: expected an array of at most 32 package names");
		return NULL;
	}
	char names[32][256]; // 8 KB of the JS thread's stack
	const char *list[32];
	for (uint32_t i = 0; i < count; i++) {
		napi_value item;
		if (napi_get_element(env, argv[1], i, &item) != napi_ok || !arg_string(env, item, names[i], sizeof names[i])) return NULL;
		list[i] = names[i];
	}
	return result(env, abp_interpose(path, list, (int32_t)count, strcmp(mode, "off") != 0, watchdog, arg_flag(env, argv[4])));
}

// guardDepth(1 | -1) → the calling thread's depth afterwards
static napi_value js_guard_depth(napi_env env, napi_callback_info cb) {
	napi_value argv[1];
	int32_t delta;
	if (!args(env, cb, 1, argv) || !arg_int(env, argv[0], &delta)) return NULL;
	return number(env, abp_guard_depth(delta));
}

static const char *load_outcome_name(int32_t outcome) {
#define ABP_CASE(name, value, text) \
	case value: return text;
	switch (outcome) {
		ABP_LOAD_OUTCOMES(ABP_CASE)
	default: return "unknown";
	}
#undef ABP_CASE
}

static napi_value interpose_records(napi_env env, const struct abp_load_record *records, int32_t n) {
	napi_value list;
	CHECK(napi_create_array_with_length(env, (size_t)n, &list));
	for (int32_t i = 0; i < n; i++) {
		napi_value item;
		CHECK(napi_create_object(env, &item));
		if (!set(env, item, "path", string(env, records[i].path)) || !set(env, item, "outcome", string(env, load_outcome_name(records[i].outcome))) ||
		    !set(env, item, "goRuntimes", number(env, records[i].go_runtimes)) || !set(env, item, "repaired", signals_array(env, records[i].repaired)))
			return NULL;
		CHECK(napi_set_element(env, list, (uint32_t)i, item));
	}
	return list;
}

// interposeStats() → {result, <counters>, repaired, lastRefused, records: [{path, outcome, goRuntimes, repaired}]}
static napi_value js_interpose_stats(napi_env env, napi_callback_info cb) {
	(void)cb;
	static const char *const stat_names[] = {
#define ABP_NAME(name, text) text,
		ABP_INTERPOSE_STATS(ABP_NAME)
#undef ABP_NAME
	};
	uint64_t counts[ABP_IS_COUNT], mask;
	char refused[PATH_MAX];
	abp_interpose_stats(counts, &mask, refused, sizeof refused);
	napi_value object;
	CHECK(napi_create_object(env, &object));
	if (!set(env, object, "result", result(env, abp_interpose_result()))) return NULL;
	for (int i = 0; i < ABP_IS_COUNT; i++)
		if (!set(env, object, stat_names[i], number(env, (double)counts[i]))) return NULL;
	if (!set(env, object, "repaired", signals_array(env, mask)) || !set(env, object, "lastRefused", string(env, refused))) return NULL;
	// Workers may ask at the same time: a copy of one's own.
	struct abp_load_record *records = malloc(sizeof *records * ABP_INTERPOSE_RECORDS);
	if (records == NULL) {
		napi_throw_error(env, "ABP_NAPI", "asherah-bun-core: out of memory");
		return NULL;
	}
	int32_t n = abp_interpose_records(records, ABP_INTERPOSE_RECORDS);
	napi_value built = interpose_records(env, records, n);
	free(records);
	if (built == NULL || !set(env, object, "records", built)) return NULL;
	return object;
}

// ---- constants for the contract test ----------------------------------------------

static napi_value names(napi_env env, const char *const *list, size_t n) {
	napi_value out;
	CHECK(napi_create_array_with_length(env, n, &out));
	for (size_t i = 0; i < n; i++) CHECK(napi_set_element(env, out, (uint32_t)i, string(env, list[i])));
	return out;
}

static napi_value flag_values(napi_env env) {
	napi_value object;
	CHECK(napi_create_object(env, &object));
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 // what the kernel reports; glibc does not export the name
#endif
	if (!set(env, object, "SA_ONSTACK", number(env, SA_ONSTACK)) || !set(env, object, "SA_SIGINFO", number(env, SA_SIGINFO)) ||
	    !set(env, object, "SA_RESTART", number(env, SA_RESTART)) || !set(env, object, "SA_NODEFER", number(env, (double)(unsigned)SA_NODEFER)) ||
	    !set(env, object, "SA_RESETHAND", number(env, (double)(unsigned)SA_RESETHAND)) || !set(env, object, "SA_RESTORER", number(env, SA_RESTORER)))
		return NULL;
	return object;
}

// A Worker's environment ends: its repair records go with it, so a later
// environment that happens to get the same address never sees them.
static void forget_environment(void *env) { abp_repair_forget((uint64_t)(uintptr_t)env); }

NAPI_MODULE_INIT() {
	// Called once per JavaScript environment (the main thread, each Worker);
	// the process-wide state lives in the C statics, not here.
	static const char *const result_names[] = {
#define ABP_NAME(name, value, text) text,
		ABP_RESULTS(ABP_NAME)
#undef ABP_NAME
	};
	static const char *const stat_names[] = {
#define ABP_NAME(name, text) text,
		ABP_STATS(ABP_NAME)
#undef ABP_NAME
	};
	static const char *const warmup_errors[] = {
#define ABP_NAME(name, value, text) text,
		ABP_WARMUP_ERRORS(ABP_NAME)
#undef ABP_NAME
	};
#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}
#define VALUE(name, value) {name, NULL, NULL, NULL, NULL, value, napi_enumerable, NULL}
	const napi_property_descriptor props[] = {
		VALUE("abi", number(env, ABP_ABI_VERSION)),
		VALUE("wrapSupported", boolean(env, abp_wrap_supported())),
		VALUE("warmupExpectedSha256", string(env, abp_warmup_expected_sha256())),
		VALUE("warmupMaxBytes", number(env, ABP_WARMUP_MAX_BYTES)),
		VALUE("flags", flag_values(env)),
		VALUE("resultNames", names(env, result_names, sizeof result_names / sizeof *result_names)),
		VALUE("statNames", names(env, stat_names, sizeof stat_names / sizeof *stat_names)),
		VALUE("warmupErrorNames", names(env, warmup_errors, sizeof warmup_errors / sizeof *warmup_errors)),
		FN("snapshot", js_snapshot),
		FN("goRuntimeCount", js_go_runtime_count),
		FN("query", js_query),
		FN("restoreFlags", js_restore_flags),
		FN("restoreDisposition", js_restore_disposition),
		FN("waitGoRuntime", js_wait_go_runtime),
		FN("waitAllGoRuntimes", js_wait_all_go_runtimes),
		FN("hasGoRuntime", js_has_go_runtime),
		FN("repairLater", js_repair_later),
		FN("repairTake", js_repair_take),
		FN("handlerOwner", js_handler_owner),
		FN("registerThread", js_register_thread),
		FN("wrapSuspendHandler", js_wrap_suspend_handler),
		FN("isWrapped", js_is_wrapped),
		FN("wrapStats", js_wrap_stats),
		FN("setRepairPlan", js_set_repair_plan),
		FN("repairNow", js_repair_now),
		FN("warmupStart", js_warmup_start),
		FN("warmupInfo", js_warmup_info),
		FN("checkPathSafe", js_check_path_safe),
		FN("readText", js_read_text),
		FN("selfSha256", js_self_sha256),
		FN("elfSpan", js_elf_span),
		FN("watchdogArm", js_watchdog_arm),
		FN("watchdogDisarm", js_watchdog_disarm),
		FN("interpose", js_interpose),
		FN("guardDepth", js_guard_depth),
		FN("interposeStats", js_interpose_stats),
	};
#undef FN
#undef VALUE
	for (size_t i = 0; i < sizeof props / sizeof *props; i++) {
		if (props[i].method == NULL && props[i].value == NULL) {
			napi_throw_error(env, "ABP_NAPI", "asherah-bun-core: could not create its constants");
			return NULL;
		}
	}
	CHECK(napi_define_properties(env, exports, sizeof props / sizeof *props, props));
	napi_add_env_cleanup_hook(env, forget_environment, env);
	return exports;
}
