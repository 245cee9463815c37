#!/bin/bash
# A tag served as a Docker manifest list: refresh (first and no-op),
# status, bench, rollback, pin, unpin - manifest-forms.sh, one form per
# script so that each stays within run-all's time per script.
forms="docker-list"
. "$(dirname "$0")/manifest-forms.sh"
