/* fuzz_image_list.c - finding an image by digest in Podman's image list
 * (untrusted JSON: Id, Digest, RepoDigests of any type and shape).
 *
 * Input: line 1 the digest to look for (empty: look up by the id on line
 * 2), then the list as JSON.  Checks: a found image has an Id and carries
 * the digest asked for (or starts with the id); every digest it lists is
 * valid and listed once; the platform digest is one of them or NULL.
 */
#include "fuzz.h"
#include "json.h"
#include "podman.h"
#include "registry.h"

#define NAME "docker.io/kyuz0/amd-strix-halo-toolboxes"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	char *nl1 = memchr(text, '\n', size);
	char *nl2 = nl1 ? memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - text)) : NULL;
	if (!nl2) {
		free(text);
		return 0;
	}
	*nl1 = *nl2 = '\0';
	const char *digest = text, *id = nl1 + 1, *json = nl2 + 1;
	struct err e;
	err_clear(&e);
	json_object *list = json_parse(json, size - (size_t)(json - text), "images", &e);
	struct podman_image img;
	int rc = podman_image_list_find(list, NAME, *digest ? digest : NULL, id, &img);
	if (rc != 0 && rc != 1)
		fuzz_fail("podman_image_list_find returned %d", rc);
	if (rc == 1 && (img.id || img.digest || img.digests.n))
		fuzz_fail("not found, yet an image is filled in");
	if (rc == 0) {
		if (!img.id)
			fuzz_fail("found an image without an Id");
		if (*digest && !strv_contains(&img.digests, digest) && !str_eq(img.digest, digest))
			fuzz_fail("found an image that does not carry '%s'", digest);
		for (size_t i = 0; i < img.digests.n; i++) {
			if (!digest_is_valid(img.digests.v[i]))
				fuzz_fail("listed an invalid digest '%s'", img.digests.v[i]);
			for (size_t j = 0; j < i; j++)
				if (strcmp(img.digests.v[i], img.digests.v[j]) == 0)
					fuzz_fail("listed '%s' twice", img.digests.v[i]);
		}
		char *pd = podman_image_platform_digest(&img, *digest ? digest : img.digest);
		if (pd && !strv_contains(&img.digests, pd))
			fuzz_fail("platform digest '%s' is not one the image carries", pd);
		free(pd);
	}
	podman_image_free(&img);
	json_object_put(list);
	free(text);
	return 0;
}
