#!/bin/sh
# Builds the upgrade probe war: javac against the Jakarta EE 10 web API from the local Maven repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../../target/upgrade-probe}
api=$(find "$HOME/.m2/repository/jakarta/platform/jakarta.jakartaee-web-api/10.0.0" -name '*.jar' | head -1)
rm -rf "$out" && mkdir -p "$out/war/WEB-INF/classes"
javac --release 17 -nowarn -XDignore.symbol.file -cp "$api" -d "$out/war/WEB-INF/classes" "$here"/src/probe/*.java
cp "$here/webapp/WEB-INF/ibm-web-ext.xml" "$out/war/WEB-INF/"
(cd "$out/war" && jar cf ../goingaway.war .)
echo "$out/goingaway.war"
