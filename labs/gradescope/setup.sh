#!/usr/bin/env bash
# Gradescope autograder set-up. The autograder zip is the repository (with labs/)
# plus this file and run_autograder at the top; Gradescope unpacks the zip into
# /autograder/source and runs this file once.
set -euo pipefail
apt-get update && apt-get install -y python3 python3-pip
pip3 install /autograder/source
