#!/usr/bin/env bash
# Regenerates Sources/EdgeLedgerSparkplug/Generated/sparkplug_b.pb.swift from Protos/sparkplug_b.proto
# (Eclipse Tahu's Sparkplug B payload definition, EPL-2.0, copied unchanged from the Tahu repository's
# sparkplug_b/sparkplug_b.proto). Not run by CI or the build: the generated file is committed.
# Run it after changing the .proto or the swift-protobuf version in Package.swift.
#
# Needs Debian's protoc (apt-get install protobuf-compiler) and protoc-gen-swift of the SAME
# swift-protobuf version as Package.swift (the generated code checks the runtime's version), built
# once outside the repository, e.g.:
#   git clone --branch 1.39.0 https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift scripts/generate-sparkplug.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}
[ -x "$plugin" ] || { echo "generate-sparkplug: set PROTOC_GEN_SWIFT to a built protoc-gen-swift (see this script's header)" >&2; exit 2; }
command -v protoc >/dev/null || { echo "generate-sparkplug: protoc missing: apt-get install protobuf-compiler" >&2; exit 2; }
out=Sources/EdgeLedgerSparkplug/Generated
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Public: the tests, the simulator and the rebirth command build payloads with these types.
protoc --plugin=protoc-gen-swift="$plugin" --proto_path=Protos --swift_out="$tmp" \
    --swift_opt=Visibility=Public sparkplug_b.proto
# The generated file starts with `// swift-format-ignore-file`: the format lint of .ci/run skips it.
cp "$tmp/sparkplug_b.pb.swift" "$out/sparkplug_b.pb.swift"
echo "generate-sparkplug: wrote $out/sparkplug_b.pb.swift ($(wc -l <"$out/sparkplug_b.pb.swift") lines)"
