#!/bin/bash
# A tag served as a single Docker v2s2 manifest: refresh (first and no-op),
# status, bench, rollback, pin, unpin - manifest-forms.sh, one form per
# script so that each stays within run-all's time per script.
forms="v2s2"
. "$(dirname "$0")/manifest-forms.sh"
