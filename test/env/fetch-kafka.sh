#!/usr/bin/env bash
# Fetches the Kafka broker jars from Maven Central. A pom with packaging `pom`
# lists the broker plus a logging backend; copy-dependencies resolves the
# runtime closure into one libs/ dir that `java -cp 'libs/*'` can use.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fetch_kafka() {
  local out="$1"
  # Kafka declares reload4j as compile-only, so without these two the broker
  # starts with no logging backend (or a missing class).
  cat >"$out/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.meshwarden.testenv</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
  </dependencies>
</project>
POM
  mvn -B -q -f "$out/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$out/libs"
  ls "$out/libs"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null
}

ensure_component kafka "$KAFKA_VERSION" fetch_kafka
