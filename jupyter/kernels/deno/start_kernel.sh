#!/usr/bin/env bash
# Starts the Deno 2.9.6 Jupyter kernel for kmnist-autoencoders (argv of jupyter/kernels/deno/kernel.json).
#
#   bash jupyter/kernels/deno/start_kernel.sh CONNECTION_FILE
#
# Which deno runs, first found:
#   1. $KMNIST_DENO (path to a deno 2.9.6 binary);
#   2. the path recorded in jupyter/kernels/deno/deno_path by `deno task kernel` (tools/install_kernel.ts);
#   3. `deno` on PATH, when it is version 2.9.6;
#   4. `npx -y deno@2.9.6` (slower to start: npx resolves the package each time).
# The kernel runs in the directory Jupyter starts it in (the notebook's folder), so Deno finds the
# project's deno.json (import map) and node_modules by walking up from there.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "start_kernel.sh: expected one argument, the Jupyter connection file" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
want="2.9.6"

deno=""
if [ -n "${KMNIST_DENO:-}" ]; then
  if [ ! -x "$KMNIST_DENO" ]; then
    echo "start_kernel.sh: KMNIST_DENO=$KMNIST_DENO is not an executable file; unset it or fix the path" >&2
    exit 1
  fi
  deno="$KMNIST_DENO"
elif [ -f "$here/deno_path" ] && [ -x "$(cat "$here/deno_path")" ]; then
  deno="$(cat "$here/deno_path")"
elif command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | head -n 1 | grep -q "^deno $want "; then
  deno="$(command -v deno)"
fi

# Cells' uncaught errors are rendered by Jupyter; colour codes only clutter the saved notebooks.
export NO_COLOR="${NO_COLOR:-1}"
if [ -n "$deno" ]; then
  exec "$deno" jupyter --kernel --conn "$1"
fi
exec npx -y "deno@$want" jupyter --kernel --conn "$1"
