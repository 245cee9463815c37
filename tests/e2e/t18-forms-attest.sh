#!/bin/bash
# A tag served as an OCI index with a buildx attestation entry
# (platform unknown/unknown): refresh (first and no-op),
# status, bench, rollback, pin, unpin - manifest-forms.sh, one form per
# script so that each stays within run-all's time per script.
forms="attest"
. "$(dirname "$0")/manifest-forms.sh"
