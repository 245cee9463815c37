#!/bin/bash
# A tag served as a single OCI manifest and as a single Docker v2s2
# manifest; a tag whose index has no linux/amd64 entry (manifest-forms.sh).
forms="oci v2s2"
noamd64=1
. "$(dirname "$0")/manifest-forms.sh"
