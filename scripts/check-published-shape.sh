#!/usr/bin/env bash
# Proves the published shape of every package, not just the workspace:
#  1. publint and @arethetypeswrong/cli (ESM-only profile) on each package;
#  2. in a throwaway copy of the repo: `changeset version`, build, `pnpm -r pack`;
#  3. a scratch project outside the workspace installs the tarballs from the registry-less
#     file paths (their own dependencies from npm) and runs the README example of
#     cortex-core, ledger and doctrine against them.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
tsx="$root/node_modules/.bin/tsx"

for dir in packages/*/; do
  name="$(node -p "require('./${dir}package.json').name")"
  echo "== ${name}: publint, attw"
  pnpm exec publint "$dir" --strict
  (cd "$dir" && pnpm exec attw --pack . --profile esm-only --format table-flipped >/dev/null) || { (cd "$dir" && pnpm exec attw --pack . --profile esm-only); exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== version and pack in a copy of the repository (${work})"
tar -C "$root" --exclude=./node_modules --exclude='./packages/*/node_modules' --exclude='./apps/*/node_modules' \
  --exclude='./bench/node_modules' --exclude='*/dist' --exclude=./.turbo --exclude='./.git' -cf - . | tar -C "$work" -xf -
mkdir -p "$work/repo" && (cd "$work" && find . -mindepth 1 -maxdepth 1 ! -name repo -exec mv {} repo/ \;)
(
  cd "$work/repo"
  git init -q && git add -A && git -c user.email=ci@localhost -c user.name=ci commit -qm snapshot
  pnpm install --frozen-lockfile --prefer-offline --silent
  pnpm changeset version
  pnpm turbo run build --filter='./packages/*' --output-logs=errors-only
  mkdir -p "$work/tarballs"
  pnpm -r --filter='./packages/*' pack --pack-destination "$work/tarballs" >/dev/null
)
ls "$work/tarballs"

echo "== install the tarballs into a scratch project and run README examples"
mkdir -p "$work/consumer"
cd "$work/consumer"
printf '{ "name": "consumer", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --loglevel=error "$work"/tarballs/*.tgz
for pkg in cortex-core ledger doctrine; do
  awk '/^```ts/{f=1;next} /^```/{if(f){exit}} f' "$root/packages/$pkg/README.md" > "example-$pkg.mts"
  echo "-- README example of @cellos-cortex/$pkg"
  "$tsx" "example-$pkg.mts"
done
echo "published shape ok"
