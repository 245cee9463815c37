#!/bin/bash
# A tag served as an OCI image index: refresh (first and no-op),
# status, bench, rollback, pin, unpin - manifest-forms.sh, one form per
# script so that each stays within run-all's time per script.
forms="oci-index"
. "$(dirname "$0")/manifest-forms.sh"
