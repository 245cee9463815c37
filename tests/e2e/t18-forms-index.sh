#!/bin/bash
# A tag served as an OCI image index, a Docker manifest list, and an OCI
# index with a buildx attestation entry (manifest-forms.sh).
forms="oci-index docker-list attest"
. "$(dirname "$0")/manifest-forms.sh"
