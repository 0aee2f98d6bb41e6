#!/usr/bin/env bash
# Installs the Debian packages this project needs, only those that are missing.
#
#   bash tools/install_system_deps.sh            # everything the notebooks, reports and tests use
#   bash tools/install_system_deps.sh --reference # also PyTorch + OpenBLAS (OpenMP) for ../shared/reference
#
# Runs apt-get as root, or through sudo otherwise. Prints what it installs and why; prints nothing
# more when all is present. Set KMNIST_SKIP_APT=1 to skip it (then missing pieces fail later with
# an error that names them).
set -euo pipefail

if [ "${KMNIST_SKIP_APT:-0}" = "1" ]; then exit 0; fi

packages=(
  libopenblas0-pthread # fast sgemm for the training kernels (packages/tfjs_blas/, through Deno.dlopen)
  fonts-noto-cjk       # Japanese glyphs in figure labels
  fonts-dejavu-core    # Latin text in the PDF reports
  jupyter-notebook     # the notebook server, for running notebooks interactively
  jupyter-nbconvert    # HTML export of executed notebooks
  python3-nbclient     # nbformat / notebook execution helpers
  jupyter-client       # the kernel protocol client used by tools/execute_notebook.py
  python3-zmq          # ZeroMQ for the kernelspec's ordering proxy (jupyter/kernels/deno/ordered_kernel.py)
  chromium             # prints the HTML reports to PDF (headless)
  poppler-utils        # pdfinfo / pdftoppm: checks the PDF reports
)
if [ "${1:-}" = "--reference" ]; then
  packages+=(python3-torch libopenblas0-openmp)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_system_deps: missing Debian packages: ${missing[*]}, and apt-get is not available." >&2
  echo "Install them with your system's package manager, or set KMNIST_SKIP_APT=1." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install_system_deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install_system_deps: installing missing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
echo "install_system_deps: done" >&2
