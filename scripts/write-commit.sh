#!/bin/sh
# Write the git commit of the source tree into dist/version.js (src/version.ts BUILD_COMMIT),
# for `ts-runc --version`. Outside a git checkout the compiled "unknown" stays. The file is
# rewritten only when the commit changed, so make sees nothing new on an unchanged tree.
set -eu
file=${1:-dist/version.js}
commit=$(git describe --always --dirty 2>/dev/null) || exit 0
[ -n "$commit" ] || exit 0
line="export const BUILD_COMMIT = '$commit';"
grep -qxF "$line" "$file" && exit 0
sed -i "s|^export const BUILD_COMMIT = .*;\$|$line|" "$file"
