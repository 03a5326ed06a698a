#!/usr/bin/env bash
# models/guard/suffix.lm must be byte for byte what scripts/guard/train_suffix_lm.py makes from the shared
# pool: a shipped model nobody can regenerate is a model nobody can audit.
# Usage: suffix_model_test.sh SOURCE_DIR SHARED_DIR
set -euo pipefail
src=$1
data=$2/datasets/prompt-security
if [ ! -d "$data" ]; then
  echo "SKIP: no shared data at $data"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$src/scripts/guard/train_suffix_lm.py" "$data" "$work/suffix.lm"
cmp "$work/suffix.lm" "$src/models/guard/suffix.lm"
echo "models/guard/suffix.lm reproduced"
