// The smallest Node-API addon: one function that returns undefined. The
// bench builds it (test/bench/run.ts, layers) to measure what Bun charges for
// process.dlopen of any addon, apart from what this package's core does.
#include <node_api.h>

static napi_value nothing(napi_env env, napi_callback_info info) {
	(void)info;
	napi_value result;
	napi_get_undefined(env, &result);
	return result;
}

NAPI_MODULE_INIT() {
	napi_value fn;
	if (napi_create_function(env, "nothing", NAPI_AUTO_LENGTH, nothing, NULL, &fn) != napi_ok) return NULL;
	if (napi_set_named_property(env, exports, "nothing", fn) != napi_ok) return NULL;
	return exports;
}
