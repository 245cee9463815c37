#!/bin/bash
# A tag served as a single OCI manifest (and a tag whose index has no linux/amd64
# entry): refresh (first and no-op),
# status, bench, rollback, pin, unpin - manifest-forms.sh, one form per
# script so that each stays within run-all's time per script.
forms="oci"
noamd64=1
. "$(dirname "$0")/manifest-forms.sh"
