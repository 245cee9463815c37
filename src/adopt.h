/* adopt.h - containers tbx did not make from its definitions: where they
 * came from (toolbox, distrobox, by hand), and the create spec that remakes
 * one from its own inspect answer with only the image changed (Podman has no
 * clone endpoint: POST /libpod/containers/clone answers 405).
 *
 * Which fields are carried, dropped or refused: docs/ADOPTION.md. */
#ifndef TBX_ADOPT_H
#define TBX_ADOPT_H

#include <json-c/json.h>
#include "util.h"

/* The origin tbx records on a container it adopted ("toolbox",
 * "distrobox", "other"); absent on a container made from a definition. */
#define LABEL_ORIGIN "tbx.origin"
#define LABEL_TOOLBOX "com.github.containers.toolbox"
#define LABEL_TOOLBOX_OLD "com.github.debarshiray.toolbox" /* toolbox before 0.0.90 */

/* The IPC and user namespace modes tbx carried: Podman 4's inspect shows
 * "shareable" for --ipc host too, and "private" with the maps for --userns
 * keep-id, and a container tbx made has no CreateCommand to tell. */
#define LABEL_IPC "tbx.ipc"
#define LABEL_USERNS "tbx.userns"

enum container_origin { ORIGIN_TBX, ORIGIN_TOOLBOX, ORIGIN_DISTROBOX, ORIGIN_OTHER };
const char *origin_name(enum container_origin o); /* "tbx", "toolbox", "distrobox", "other" */

/* Who made the container of this inspect answer: tbx.origin when tbx
 * adopted it, else tbx when it carries tbx.backend, else the labels of
 * toolbox (com.github.containers.toolbox) or distrobox (manager=distrobox),
 * else other. */
enum container_origin container_origin(json_object *inspect);

/* One line saying what it is, for refresh's refusal:
 * "a toolbox container (made by toolbox 0.0.90 or later: label
 * com.github.containers.toolbox=true)", "a distrobox container", "a
 * container made by hand or by another tool".  Untrusted label text is
 * sanitized.  Caller frees. */
char *origin_describe(json_object *inspect);

/* The SpecGenerator (JSON) that recreates the container of inspect under
 * name, running image_id: its own configuration, without what it only had
 * from its old image (image_inspect: that image's inspect answer; env,
 * labels, entrypoint, command, working directory and user equal to the
 * image's are left to the new image), with the labels in extra_labels
 * added (tbx's).  NULL with e naming the field (exit 1) when the inspect
 * answer lacks a field tbx needs or has one it cannot carry faithfully (a
 * pod member, an infra container, a healthcheck, a systemd unit's
 * container, a namespace shared with another container...). */
json_object *adopt_spec(json_object *inspect, json_object *image_inspect, const char *name,
			const char *image_id, json_object *extra_labels, struct err *e);

#endif
