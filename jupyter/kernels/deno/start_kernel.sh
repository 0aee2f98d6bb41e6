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
# Deno runs behind ordered_kernel.py (next to this file; /usr/bin/python3 with python3-zmq), which
# holds each cell's "idle" status until the cell's outputs have been published, so that
# `jupyter nbconvert --execute` and the classic UI's Run All lose none and misplace none (the bare
# Deno kernel can publish them after "idle"). KMNIST_KERNEL_ORDERING=0 runs deno bare;
# KMNIST_KERNEL_QUIET_MS (50) is the quiet period after which a held "idle" goes out.
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

if [ -n "$deno" ]; then
  command=("$deno")
else
  command=(npx -y "deno@$want")
fi

# Cells' uncaught errors are rendered by Jupyter; colour codes only clutter the saved notebooks.
export NO_COLOR="${NO_COLOR:-1}"
if [ "${KMNIST_KERNEL_ORDERING:-1}" = "0" ]; then
  # The bare kernel: a cell's late outputs are lost or shown under the next cell by clients that
  # stop reading at "idle" (nbconvert --execute, the classic UI's Run All); for measuring only.
  exec "${command[@]}" jupyter --kernel --conn "$1"
fi
# The kernel behind ordered_kernel.py, which holds each cell's "idle" until its outputs are out.
python=""
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import zmq" 2>/dev/null; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  echo "start_kernel.sh: no python3 with the zmq module for ordered_kernel.py; install the" \
    "Debian package python3-zmq (bash tools/install_system_deps.sh), or set" \
    "KMNIST_KERNEL_ORDERING=0 to run deno bare (then nbconvert --execute loses outputs)" >&2
  exit 1
fi
exec "$python" "$here/ordered_kernel.py" "$1" "${command[@]}"
