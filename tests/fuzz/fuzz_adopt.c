/* fuzz_adopt.c - adoption: a container's inspect answer (untrusted JSON
 * from Podman, any type and shape) to the create spec that remakes it.
 *
 * Input: JSON; an array [container, image] gives the old image's inspect
 * answer too, anything else is the container's alone.  Checks: a spec is
 * an object naming the name and image asked for, carrying the extra
 * labels given; every mount and volume has an absolute destination; every
 * rlimit type is bare (Podman adds RLIMIT_); a refusal names a field
 * ("cannot carry ...") on one printable line.  container_origin and
 * origin_describe answer for anything.
 */
#include <strings.h>

#include "adopt.h"
#include "fuzz.h"
#include "json.h"

static void check_dest(json_object *a, const char *key, const char *what)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		const char *d = json_str(json_object_array_get_idx(a, i), key);
		if (!d || d[0] != '/')
			fuzz_fail("a %s without an absolute destination", what);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	struct err e;
	err_clear(&e);
	json_object *in = json_parse(text, size, "inspect", &e);
	json_object *c = in, *img = NULL;
	if (in && json_object_is_type(in, json_type_array) && json_object_array_length(in) == 2) {
		c = json_object_array_get_idx(in, 0);
		img = json_object_array_get_idx(in, 1);
	}
	const char *o = origin_name(container_origin(c));
	if (!o || !*o)
		fuzz_fail("no origin name");
	free(origin_describe(c));
	json_object *extra = json_object_new_object();
	json_add_str(extra, "tbx.backend", "fuzz");
	err_clear(&e);
	json_object *s = adopt_spec(c, img, "llama-fuzz-tbx-new", "imageid", extra, &e);
	if (s) {
		if (!json_object_is_type(s, json_type_object))
			fuzz_fail("a spec that is not an object");
		if (!str_eq(json_str(s, "name"), "llama-fuzz-tbx-new") ||
		    !str_eq(json_str(s, "image"), "imageid"))
			fuzz_fail("the spec does not name what was asked");
		if (!str_eq(json_str(json_obj(s, "labels"), "tbx.backend"), "fuzz"))
			fuzz_fail("the extra labels are missing");
		check_dest(json_arr(s, "mounts"), "destination", "mount");
		check_dest(json_arr(s, "volumes"), "Dest", "volume");
		json_object *rl = json_arr(s, "r_limits");
		for (size_t i = 0; rl && i < json_object_array_length(rl); i++) {
			const char *t = json_str(json_object_array_get_idx(rl, i), "type");
			if (!t || strncasecmp(t, "rlimit_", 7) == 0)
				fuzz_fail("an rlimit type '%s'", t ? t : "(none)");
		}
		/* the spec must serialize (it is sent as the create body) */
		if (!json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN))
			fuzz_fail("the spec does not serialize");
		json_object_put(s);
	} else {
		if (strncmp(e.msg, "cannot carry ", 13) != 0)
			fuzz_fail("a refusal that names no field: '%s'", e.msg);
		for (const char *p = e.msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fuzz_fail("a control character in the refusal");
	}
	json_object_put(extra);
	json_object_put(in);
	free(text);
	return 0;
}
