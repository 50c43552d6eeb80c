/**
 * Rust (Cargo), Go (modules), the JVM (Maven, Gradle) and Ruby (Bundler): their standard commands
 * when the manifest exists, and optional tools only when their config file is in the repository.
 */
import {
  findFrameworks,
  type DetectedCommand,
  type DetectedTool,
  type Detection,
  type RepoView,
} from "./shared.js";
import { normalizeName, scanToml } from "./toml.js";

/** Crate name → what to call it. */
const RUST_FRAMEWORKS: Readonly<Record<string, string>> = {
  tokio: "Tokio",
  axum: "axum",
  "actix-web": "Actix Web",
  rocket: "Rocket",
  warp: "warp",
  serde: "Serde",
  clap: "clap",
  bevy: "Bevy",
  tauri: "Tauri",
  diesel: "Diesel",
  sqlx: "SQLx",
};

/** Cargo.toml. */
export function detectRust(repo: RepoView): Partial<Detection> {
  const text = repo.text("Cargo.toml");
  if (text === undefined) return {};
  const cargo = scanToml(text);
  const commands: DetectedCommand[] = [
    { kind: "test", command: "cargo test", source: "Cargo.toml" },
    { kind: "build", command: "cargo build", source: "Cargo.toml" },
  ];
  // clippy and rustfmt are optional rustup components: only a config file shows the project uses them.
  const clippy = repo.first(["clippy.toml", ".clippy.toml"]);
  if (clippy !== undefined)
    commands.push({ kind: "lint", command: "cargo clippy", source: clippy });
  const rustfmt = repo.first(["rustfmt.toml", ".rustfmt.toml"]);
  if (rustfmt !== undefined)
    commands.push({ kind: "format", command: "cargo fmt", source: rustfmt });
  // Crate names compare with `-` and `_` alike, as Python's do.
  const names = new Set([...cargo.dependencies].map(normalizeName));
  return {
    packageManagers: [
      { name: "Cargo", source: repo.has("Cargo.lock") ? "Cargo.lock" : "Cargo.toml" },
    ],
    frameworks: findFrameworks([["Cargo.toml", names]], RUST_FRAMEWORKS),
    commands,
  };
}

/** Go module path prefix → what to call it. */ const GO_FRAMEWORKS: ReadonlyArray<
  readonly [string, string]
> = [
  ["github.com/gin-gonic/gin", "Gin"],
  ["github.com/labstack/echo", "Echo"],
  ["github.com/gofiber/fiber", "Fiber"],
  ["github.com/go-chi/chi", "chi"],
  ["github.com/gorilla/mux", "gorilla/mux"],
  ["github.com/spf13/cobra", "Cobra"],
  ["google.golang.org/grpc", "gRPC"],
  ["gorm.io/gorm", "GORM"],
  ["github.com/stretchr/testify", "testify"],
];

/** go.mod. */
export function detectGo(repo: RepoView): Partial<Detection> {
  const text = repo.text("go.mod");
  if (text === undefined) return {};
  const commands: DetectedCommand[] = [
    { kind: "test", command: "go test ./...", source: "go.mod" },
    { kind: "build", command: "go build ./...", source: "go.mod" },
    { kind: "lint", command: "go vet ./...", source: "go.mod (vet ships with go)" },
  ];
  const golangci = repo.first([
    ".golangci.yml",
    ".golangci.yaml",
    ".golangci.toml",
    ".golangci.json",
  ]);
  if (golangci !== undefined)
    commands.push({ kind: "lint", command: "golangci-lint run", source: golangci });
  const required = [...text.matchAll(/^\s*(?:require\s+)?([a-z0-9.-]+\.[a-z]+\/\S+)\s+v/gm)].map(
    (m) => m[1] ?? "",
  );
  const frameworks = GO_FRAMEWORKS.filter(([prefix]) =>
    required.some((mod) => mod === prefix || mod.startsWith(`${prefix}/`)),
  ).map(([, name]) => ({ name, source: "go.mod" }));
  return { packageManagers: [{ name: "Go modules", source: "go.mod" }], frameworks, commands };
}

/** pom.xml and build.gradle(.kts). */
export function detectJvm(repo: RepoView): Partial<Detection> {
  const found: Detection = { packageManagers: [], frameworks: [], commands: [], warnings: [] };
  const pom = repo.text("pom.xml");
  if (pom !== undefined) {
    const mvn = repo.has("mvnw") ? "./mvnw" : "mvn";
    found.packageManagers.push({ name: "Maven", source: "pom.xml" });
    found.commands.push(
      { kind: "test", command: `${mvn} test`, source: "pom.xml" },
      { kind: "build", command: `${mvn} package`, source: "pom.xml" },
    );
    if (pom.includes("spring-boot"))
      found.frameworks.push({ name: "Spring Boot", source: "pom.xml" });
  }
  const gradleFile = repo.first(["build.gradle.kts", "build.gradle"]);
  const gradle = gradleFile === undefined ? undefined : repo.text(gradleFile);
  if (gradleFile !== undefined && gradle !== undefined) {
    const run = repo.has("gradlew") ? "./gradlew" : "gradle";
    found.packageManagers.push({ name: "Gradle", source: gradleFile });
    found.commands.push(
      { kind: "test", command: `${run} test`, source: gradleFile },
      { kind: "build", command: `${run} build`, source: gradleFile },
    );
    if (gradle.includes("org.springframework.boot"))
      found.frameworks.push({ name: "Spring Boot", source: gradleFile });
    if (gradle.includes("com.android.application"))
      found.frameworks.push({ name: "Android", source: gradleFile });
  }
  return found;
}

/** Gemfile. */
export function detectRuby(repo: RepoView): Partial<Detection> {
  const text = repo.text("Gemfile");
  if (text === undefined) return {};
  const gems = new Set([...text.matchAll(/^\s*gem\s+["']([^"']+)["']/gm)].map((m) => m[1] ?? ""));
  const commands: DetectedCommand[] = [];
  const frameworks: DetectedTool[] = [];
  if (gems.has("rails")) frameworks.push({ name: "Rails", source: "Gemfile" });
  if (
    (gems.has("rspec") || gems.has("rspec-rails")) &&
    (repo.has(".rspec") || repo.hasDir("spec"))
  ) {
    frameworks.push({ name: "RSpec", source: "Gemfile" });
    commands.push({
      kind: "test",
      command: "bundle exec rspec",
      source: "Gemfile (rspec) and spec/",
    });
  }
  if (repo.has("bin/rails") && repo.hasDir("test"))
    commands.push({ kind: "test", command: "bin/rails test", source: "bin/rails and test/" });
  // `bundle exec` runs only gems the Gemfile names; a .rubocop.yml alone does not install it.
  if (gems.has("rubocop"))
    commands.push({ kind: "lint", command: "bundle exec rubocop", source: "Gemfile (rubocop)" });
  return {
    packageManagers: [
      { name: "Bundler", source: repo.has("Gemfile.lock") ? "Gemfile.lock" : "Gemfile" },
    ],
    frameworks,
    commands,
  };
}
